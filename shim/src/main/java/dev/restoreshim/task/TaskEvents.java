package dev.restoreshim.task;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import dev.restoreshim.events.Topic;
import dev.restoreshim.proto.containerd.events.TaskCreate;
import dev.restoreshim.proto.containerd.events.TaskDelete;
import dev.restoreshim.proto.containerd.events.TaskExecAdded;
import dev.restoreshim.proto.containerd.events.TaskExecStarted;
import dev.restoreshim.proto.containerd.events.TaskExit;
import dev.restoreshim.proto.containerd.events.TaskIO;
import dev.restoreshim.proto.containerd.events.TaskOOM;
import dev.restoreshim.proto.containerd.events.TaskPaused;
import dev.restoreshim.proto.containerd.events.TaskResumed;
import dev.restoreshim.proto.containerd.events.TaskStart;
import dev.restoreshim.proto.task.CreateTaskRequest;
import java.time.Instant;

/**
 * Builds the containerd task events and hands them, in call order, to one ordered publisher. The
 * order rules (create, start, exec exits, init exit, delete) are kept by {@link TaskService}; this
 * class only shapes messages.
 */
public final class TaskEvents {
    /** Receives (namespace, topic+event) in publish order. */
    public interface Publisher {
        void publish(String namespace, Topic topic, Message event);
    }

    private final Publisher publisher;

    TaskEvents(Publisher publisher) {
        this.publisher = publisher;
    }

    void created(String ns, CreateTaskRequest r, int pid) {
        publisher.publish(ns, Topic.TASK_CREATE, TaskCreate.newBuilder()
                .setContainerId(r.getId())
                .setBundle(r.getBundle())
                .addAllRootfs(r.getRootfsList())
                .setIo(TaskIO.newBuilder().setStdin(r.getStdin()).setStdout(r.getStdout())
                        .setStderr(r.getStderr()).setTerminal(r.getTerminal()))
                .setCheckpoint(r.getCheckpoint())
                .setPid(pid)
                .build());
    }

    void started(String ns, String containerId, int pid) {
        publisher.publish(ns, Topic.TASK_START, TaskStart.newBuilder().setContainerId(containerId).setPid(pid).build());
    }

    void execAdded(String ns, String containerId, String execId) {
        publisher.publish(ns, Topic.TASK_EXEC_ADDED,
                TaskExecAdded.newBuilder().setContainerId(containerId).setExecId(execId).build());
    }

    void execStarted(String ns, String containerId, String execId, int pid) {
        publisher.publish(ns, Topic.TASK_EXEC_STARTED,
                TaskExecStarted.newBuilder().setContainerId(containerId).setExecId(execId).setPid(pid).build());
    }

    /** {@code processId} is the exec id, or the container id for the init process. */
    void exited(String ns, String containerId, String processId, int pid, int status, Instant at) {
        publisher.publish(ns, Topic.TASK_EXIT, TaskExit.newBuilder()
                .setContainerId(containerId).setId(processId).setPid(pid)
                .setExitStatus(status).setExitedAt(timestamp(at)).build());
    }

    void deleted(String ns, String containerId, int pid, int status, Instant at) {
        publisher.publish(ns, Topic.TASK_DELETE, TaskDelete.newBuilder()
                .setContainerId(containerId).setPid(pid).setExitStatus(status)
                .setExitedAt(timestamp(at)).build());
    }

    void paused(String ns, String containerId) {
        publisher.publish(ns, Topic.TASK_PAUSED, TaskPaused.newBuilder().setContainerId(containerId).build());
    }

    void resumed(String ns, String containerId) {
        publisher.publish(ns, Topic.TASK_RESUMED, TaskResumed.newBuilder().setContainerId(containerId).build());
    }

    void oom(String ns, String containerId) {
        publisher.publish(ns, Topic.TASK_OOM, TaskOOM.newBuilder().setContainerId(containerId).build());
    }

    static Timestamp timestamp(Instant at) {
        if (at == null) {
            return Timestamp.getDefaultInstance();
        }
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
