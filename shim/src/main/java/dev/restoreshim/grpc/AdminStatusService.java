package dev.restoreshim.grpc;

import com.google.protobuf.Timestamp;
import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.config.ShimConfig;
import dev.restoreshim.errors.ErrorStatus;
import dev.restoreshim.process.ProcessState;
import dev.restoreshim.proto.admin.AdminGrpc;
import dev.restoreshim.proto.admin.RestoreEntry;
import dev.restoreshim.proto.admin.StatusRequest;
import dev.restoreshim.proto.admin.StatusResponse;
import dev.restoreshim.proto.admin.TaskEntry;
import dev.restoreshim.proto.admin.Versions;
import dev.restoreshim.restore.RecentRestores;
import dev.restoreshim.task.Task;
import dev.restoreshim.task.TaskService;
import io.grpc.stub.StreamObserver;
import java.time.Instant;

/**
 * {@code restoreshim.admin.v1.Admin/Status} on the admin socket: the daemon's identity, versions
 * the tasks it serves and its recent restores with their phase timings, for {@code restore-shim status}.
 */
public final class AdminStatusService extends AdminGrpc.AdminImplBase {
    private final TaskService tasks;
    private final DaemonLayout layout;
    private final String containerdAddress;
    private final ShimConfig config;
    private final RecentRestores restores;
    private final Instant startedAt = Instant.now();

    public AdminStatusService(TaskService tasks, DaemonLayout layout, String containerdAddress, ShimConfig config) {
        this(tasks, layout, containerdAddress, config, new RecentRestores());
    }

    public AdminStatusService(TaskService tasks, DaemonLayout layout, String containerdAddress, ShimConfig config,
                              RecentRestores restores) {
        this.restores = restores;
        this.tasks = tasks;
        this.layout = layout;
        this.containerdAddress = containerdAddress;
        this.config = config;
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> o) {
        try {
            var b = StatusResponse.newBuilder()
                    .setPid((int) ProcessHandle.current().pid())
                    .setStartedAt(timestamp(startedAt))
                    .setDir(layout.dir().toString())
                    .setContainerdAddress(containerdAddress)
                    .setVersions(Versions.newBuilder()
                            .setRestoreShim(String.valueOf(AdminStatusService.class.getPackage().getImplementationVersion()))
                            .setJava(Runtime.version().toString())
                            .setRuntime(config.runtime())
                            .setCriu(config.criu()));
            for (Task t : tasks.list()) {
                b.addTasks(entry(t));
            }
            for (RecentRestores.Entry r : restores.newestFirst()) {
                b.addRecentRestores(entry(r));
            }
            o.onNext(b.build());
            o.onCompleted();
        } catch (RuntimeException e) {
            o.onError(ErrorStatus.toStatus(e).asRuntimeException());
        }
    }

    private static TaskEntry entry(Task t) {
        var e = TaskEntry.newBuilder().setNamespace(t.key().namespace()).setId(t.key().id())
                .setBundle(t.record().container().bundle().toString())
                .setCreatedAt(timestamp(t.record().createdAt()));
        try {
            ProcessState s = t.container().state("");
            e.setPid(s.pid()).setStatus(s.status().name().toLowerCase(java.util.Locale.ROOT));
        } catch (RuntimeException ex) {
            e.setPid(t.container().pid()).setStatus("unknown");
        }
        return e.build();
    }

    static RestoreEntry entry(RecentRestores.Entry r) {
        var e = RestoreEntry.newBuilder().setNamespace(r.namespace()).setId(r.id()).setSource(r.source())
                .setTotalMs(r.totalMs()).setOutcome(r.outcome() == RecentRestores.Outcome.RESTORED ? "restored" : "failed")
                .setError(r.error()).setFinishedAt(timestamp(r.finishedAt()));
        if (r.timings() != null) {
            e.putAllPhaseMs(r.timings().phases());
        }
        return e.build();
    }

    private static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
