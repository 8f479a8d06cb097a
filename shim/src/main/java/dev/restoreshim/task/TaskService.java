package dev.restoreshim.task;

import com.google.protobuf.Any;
import dev.restoreshim.cgroups.OomWatcher;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExecSpec;
import dev.restoreshim.process.ExitInfo;
import dev.restoreshim.process.ExitListener;
import dev.restoreshim.process.MountSpec;
import dev.restoreshim.process.ProcessState;
import dev.restoreshim.process.Stdio;
import dev.restoreshim.proto.containerd.types.task.Status;
import dev.restoreshim.proto.containerd.types.task.ProcessInfo;
import dev.restoreshim.proto.runc.ProcessDetails;
import dev.restoreshim.proto.task.CheckpointTaskRequest;
import dev.restoreshim.proto.task.CloseIORequest;
import dev.restoreshim.proto.task.ConnectRequest;
import dev.restoreshim.proto.task.ConnectResponse;
import dev.restoreshim.proto.task.CreateTaskRequest;
import dev.restoreshim.proto.task.CreateTaskResponse;
import dev.restoreshim.proto.task.DeleteRequest;
import dev.restoreshim.proto.task.DeleteResponse;
import dev.restoreshim.proto.task.ExecProcessRequest;
import dev.restoreshim.proto.task.KillRequest;
import dev.restoreshim.proto.task.PauseRequest;
import dev.restoreshim.proto.task.PidsRequest;
import dev.restoreshim.proto.task.PidsResponse;
import dev.restoreshim.proto.task.ResizePtyRequest;
import dev.restoreshim.proto.task.ResumeRequest;
import dev.restoreshim.proto.task.ShutdownRequest;
import dev.restoreshim.proto.task.StartRequest;
import dev.restoreshim.proto.task.StartResponse;
import dev.restoreshim.proto.task.StateRequest;
import dev.restoreshim.proto.task.StateResponse;
import dev.restoreshim.proto.task.StatsRequest;
import dev.restoreshim.proto.task.StatsResponse;
import dev.restoreshim.proto.task.UpdateTaskRequest;
import dev.restoreshim.proto.task.WaitRequest;
import dev.restoreshim.proto.task.WaitResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport-neutral Task API of the node daemon: every task of every namespace of one
 * containerd. Requests arrive as protobuf and stop here: they become {@link CreateSpec} and the
 * other process records. Events are published in the order containerd requires: create, start,
 * exec exits, init exit, delete; a process that exits while its Start is still being answered has
 * its exit published after the start event (the container's {@link ExitListener} guarantees it).
 */
public final class TaskService {
    private static final Logger log = LoggerFactory.getLogger(TaskService.class);
    static final String VERSION = "restore-shim/1";

    private final ConcurrentMap<TaskKey, Task> tasks = new ConcurrentHashMap<>();
    private final TaskRuntime runtime;
    private final TaskStore store;
    private final TaskEvents events;
    private final OomWatcher oom;
    private final Runnable shutdownWhenIdle;
    private volatile String configOrigin = "";

    /**
     * @param runtime          creates and adopts containers (runc, and the restore path)
     * @param store            per-task state files
     * @param publisher        ordered event publisher
     * @param oom              reports OOM kills of a task's cgroup
     * @param shutdownWhenIdle called when containerd asks for shutdown and no task is left
     */
    public TaskService(TaskRuntime runtime, TaskStore store, TaskEvents.Publisher publisher, OomWatcher oom,
                       Runnable shutdownWhenIdle) {
        this.runtime = runtime;
        this.store = store;
        this.events = new TaskEvents(publisher);
        this.oom = oom;
        this.shutdownWhenIdle = shutdownWhenIdle;
    }

    public CreateTaskResponse create(CreateTaskRequest r) {
        TaskKey key = TaskKey.of(r.getId());
        Task placeholder = new Task(key);
        if (tasks.putIfAbsent(key, placeholder) != null) {
            throw ShimException.alreadyExists("create task " + key + ": a task with this id exists");
        }
        try {
            TaskOptions options = TaskOptions.parse(r.getId(), r.hasOptions() ? r.getOptions() : null);
            if (!options.configPath().isEmpty() && !options.configPath().equals(configOrigin)) {
                log.warn("event=config_path_ignored ns={} id={} requested={} daemon={} reason=\"one daemon serves "
                        + "every task of its containerd; the launcher picks its config\"", key.namespace(), key.id(),
                        options.configPath(), configOrigin);
            }
            Container container = runtime.create(createSpec(key.namespace(), r), listener(key));
            TaskRecord record = new TaskRecord(container.record(), r.getCheckpoint(), Instant.now());
            try {
                store.save(record);
            } catch (RuntimeException e) {
                runtime.cleanup(container);
                throw e;
            }
            // a restore has no pid before Start: its OOM watch begins there
            placeholder.attach(container, record, container.pid() == 0 ? () -> { } : watchOom(key, container.pid()));
            events.created(key.namespace(), r, container.pid());
            log.info("event=created ns={} id={} pid={}", key.namespace(), key.id(), container.pid());
            return CreateTaskResponse.newBuilder().setPid(container.pid()).build();
        } catch (RuntimeException e) {
            tasks.remove(key, placeholder);
            throw e;
        }
    }

    /** Starts the init or an exec; the start event comes from the container's listener, in order. */
    public StartResponse start(StartRequest r) {
        Task task = task(r.getId());
        boolean restoring = r.getExecId().isEmpty() && task.container().pid() == 0;
        int pid = runtime.start(task.container(), r.getExecId());
        if (restoring) {
            task.watchOom(watchOom(task.key(), pid));
        }
        return StartResponse.newBuilder().setPid(pid).build();
    }

    public DeleteResponse delete(DeleteRequest r) {
        Task task = task(r.getId());
        ExitInfo exit = task.container().delete(r.getExecId());
        if (r.getExecId().isEmpty()) {
            runtime.release(task.container());
            tasks.remove(task.key(), task);
            task.stopOomWatch();
            store.remove(task.key());
            events.deleted(task.key().namespace(), r.getId(), exit.pid(), exit.exitStatus(), exit.exitedAt());
            log.info("event=deleted ns={} id={} exit={}", task.key().namespace(), r.getId(), exit.exitStatus());
        }
        return DeleteResponse.newBuilder().setPid(exit.pid()).setExitStatus(exit.exitStatus())
                .setExitedAt(TaskEvents.timestamp(exit.exitedAt())).build();
    }

    public StateResponse state(StateRequest r) {
        Task task = task(r.getId());
        ProcessState s = task.container().state(r.getExecId());
        var b = StateResponse.newBuilder()
                .setId(r.getId()).setExecId(r.getExecId()).setBundle(s.bundle())
                .setPid(s.pid()).setStatus(Status.valueOf(s.status().name()))
                .setStdin(s.stdin()).setStdout(s.stdout()).setStderr(s.stderr()).setTerminal(s.terminal())
                .setExitStatus(s.exitStatus());
        if (!Instant.EPOCH.equals(s.exitedAt())) {
            b.setExitedAt(TaskEvents.timestamp(s.exitedAt()));
        }
        return b.build();
    }

    public PidsResponse pids(PidsRequest r) {
        Task task = task(r.getId());
        var b = PidsResponse.newBuilder();
        for (var p : task.container().pids()) {
            var info = ProcessInfo.newBuilder().setPid(p.pid());
            if (!p.execId().isEmpty()) {
                info.setInfo(Any.pack(ProcessDetails.newBuilder().setExecId(p.execId()).build(), ""));
            }
            b.addProcesses(info);
        }
        return b.build();
    }

    public void pause(PauseRequest r) {
        Task task = task(r.getId());
        task.container().pause();
        events.paused(task.key().namespace(), r.getId());
    }

    public void resume(ResumeRequest r) {
        Task task = task(r.getId());
        task.container().resume();
        events.resumed(task.key().namespace(), r.getId());
    }

    public void checkpoint(CheckpointTaskRequest r) {
        task(r.getId());
        throw ShimException.notImplemented("checkpoint task " + r.getId()
                + ": checkpointing through restore-shim is not supported; use the runc handler to checkpoint");
    }

    public void kill(KillRequest r) {
        task(r.getId()).container().kill(r.getExecId(), r.getSignal(), r.getAll());
    }

    public void exec(ExecProcessRequest r) {
        Task task = task(r.getId());
        if (r.getExecId().isEmpty()) {
            throw ShimException.invalidArgument("exec in task " + r.getId() + ": exec_id is empty");
        }
        task.container().exec(new ExecSpec(r.getExecId(),
                new Stdio(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal()),
                r.getSpec().getValue().toByteArray()));
        events.execAdded(task.key().namespace(), r.getId(), r.getExecId());
    }

    public void resizePty(ResizePtyRequest r) {
        task(r.getId()).container().resizePty(r.getExecId(), r.getWidth(), r.getHeight());
    }

    public void closeIo(CloseIORequest r) {
        if (r.getStdin()) {
            task(r.getId()).container().closeIo(r.getExecId());
        }
    }

    public void update(UpdateTaskRequest r) {
        task(r.getId()).container().update(r.getResources().getValue().toByteArray());
    }

    /** Completes when the process has exited; never blocks the calling thread. */
    public CompletableFuture<WaitResponse> await(WaitRequest r) {
        return task(r.getId()).container().waitFor(r.getExecId())
                .thenApply(exit -> WaitResponse.newBuilder().setExitStatus(exit.exitStatus())
                        .setExitedAt(TaskEvents.timestamp(exit.exitedAt())).build());
    }

    public StatsResponse stats(StatsRequest r) {
        Task task = task(r.getId());
        return StatsResponse.newBuilder().setStats(runtime.stats(task.container().pid())).build();
    }

    public ConnectResponse connect(ConnectRequest r) {
        Task task = task(r.getId());
        return ConnectResponse.newBuilder().setShimPid((int) ProcessHandle.current().pid())
                .setTaskPid(task.container().pid()).setVersion(VERSION).build();
    }

    /**
     * containerd asks a shim to shut down after each delete. The node daemon serves every task of
     * its containerd, so it stays while it has tasks; with none left it calls the idle hook, which
     * the daemon uses to stay warm (a warm JVM is what makes the next restore fast).
     */
    public void shutdown(ShutdownRequest r) {
        if (tasks.isEmpty()) {
            shutdownWhenIdle.run();
        }
    }

    /** Names the config file the daemon runs with, to warn when a handler asks for another one. */
    public void configOrigin(String origin) {
        this.configOrigin = origin;
    }

    /** Snapshot of the tasks, for status reporting. */
    public List<Task> list() {
        return tasks.values().stream().filter(Task::attached).toList();
    }

    /** Re-adopts the tasks of a previous daemon from their state files; drops those that are gone. */
    public void adoptAll() {
        List<ContainerRecord> adopted = new ArrayList<>();
        for (TaskRecord record : store.loadAll()) {
            TaskKey key = record.key();
            Task task = new Task(key);
            tasks.put(key, task);
            try {
                Container c = runtime.adopt(record.container(), listener(key));
                task.attach(c, record, watchOom(key, c.pid()));
                adopted.add(record.container());
                log.info("event=adopted ns={} id={} pid={}", key.namespace(), key.id(), c.pid());
            } catch (RuntimeException e) {
                tasks.remove(key, task);
                log.warn("event=adopt_failed ns={} id={} reason=\"{}\"", key.namespace(), key.id(), e.getMessage());
                store.remove(key);
            }
        }
        runtime.adoptionDone(adopted);
    }

    /** Publishes the container's starts and exits; the container calls it in containerd's order. */
    private ExitListener listener(TaskKey key) {
        return new ExitListener() {
            @Override
            public void started(String containerId, String execId, int pid) {
                if (execId.isEmpty()) {
                    events.started(key.namespace(), containerId, pid);
                } else {
                    events.execStarted(key.namespace(), containerId, execId, pid);
                }
            }

            @Override
            public void exited(String containerId, String execId, int pid, ExitInfo exit) {
                if (execId.isEmpty()) {
                    oom.check(); // an OOM kill is reported before the exit it caused
                }
                events.exited(key.namespace(), containerId, execId.isEmpty() ? containerId : execId, pid,
                        exit.exitStatus(), exit.exitedAt());
                log.info("event=exited ns={} id={} exec={} pid={} status={}", key.namespace(), containerId, execId,
                        pid, exit.exitStatus());
            }
        };
    }

    private AutoCloseable watchOom(TaskKey key, int pid) {
        return oom.watch(key.toString(), pid, () -> events.oom(key.namespace(), key.id()));
    }

    private Task task(String id) {
        TaskKey key = TaskKey.of(id);
        Task task = tasks.get(key);
        if (task == null || !task.attached()) {
            throw ShimException.notFound("task " + key + " not found");
        }
        return task;
    }

    private static CreateSpec createSpec(String ns, CreateTaskRequest r) {
        List<MountSpec> rootfs = r.getRootfsList().stream()
                .map(m -> new MountSpec(m.getType(), m.getSource(), m.getTarget(), m.getOptionsList()))
                .toList();
        return new CreateSpec(ns, r.getId(), Path.of(r.getBundle()), rootfs,
                new Stdio(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal()),
                r.getCheckpoint(), r.getParentCheckpoint());
    }
}
