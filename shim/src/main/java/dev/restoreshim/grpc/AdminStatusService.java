package dev.restoreshim.grpc;

import com.google.protobuf.Timestamp;
import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.config.ShimConfig;
import dev.restoreshim.criu.CriuFeatures;
import dev.restoreshim.criu.CriuPolicy;
import dev.restoreshim.errors.ErrorStatus;
import dev.restoreshim.process.ProcessState;
import dev.restoreshim.proto.admin.AdminGrpc;
import dev.restoreshim.proto.admin.CriuReport;
import dev.restoreshim.proto.admin.RestoreEntry;
import dev.restoreshim.proto.admin.StatusRequest;
import dev.restoreshim.proto.admin.StatusResponse;
import dev.restoreshim.proto.admin.TaskEntry;
import dev.restoreshim.proto.admin.Versions;
import dev.restoreshim.restore.RecentRestores;
import dev.restoreshim.task.Task;
import dev.restoreshim.task.TaskService;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Supplier;

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
    private final Supplier<CriuFeatures> criuFeatures;
    private final Supplier<String> kdatCache;
    private final Instant startedAt = Instant.now();

    public AdminStatusService(TaskService tasks, DaemonLayout layout, String containerdAddress, ShimConfig config) {
        this(tasks, layout, containerdAddress, config, new RecentRestores(), () -> null, () -> "");
    }

    /**
     * @param restores the daemon's recent restores
     * @param criuFeatures what the daemon probed at start; null while the probe runs
     * @param kdatCache the state of CRIU's kernel-probe cache (docs/criu.md); empty while unknown
     */
    public AdminStatusService(TaskService tasks, DaemonLayout layout, String containerdAddress, ShimConfig config,
                              RecentRestores restores, Supplier<CriuFeatures> criuFeatures, Supplier<String> kdatCache) {
        this.restores = restores;
        this.tasks = tasks;
        this.layout = layout;
        this.containerdAddress = containerdAddress;
        this.config = config;
        this.criuFeatures = criuFeatures;
        this.kdatCache = kdatCache;
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
            CriuFeatures f = criuFeatures.get();
            if (f != null) {
                b.getVersionsBuilder().setCriu(f.version().isEmpty() ? config.criu() + " (not usable)" : f.version());
                b.putAllFeatures(f.asMap());
            }
            String kdat = kdatCache.get();
            if (!kdat.isEmpty()) {
                b.putFeatures("criu.kdat_cache", kdat);
            }
            if (upgradePending(Path.of(System.getProperty("java.class.path")), layout.readyFile())) {
                b.putFeatures("upgrade", "pending: the installed jar is newer than this daemon, which the launcher"
                        + " replaces at the first pod start that finds it without tasks");
            }
            b.setCriu(criu(f, config.criuPolicy()));
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

    /**
     * The launcher's test for an outdated daemon (docs/launcher.md, "Upgrading"): {@code jar}, the
     * file this daemon was started from, is newer than the daemon's {@code ready} file. False when
     * either cannot be read (a class path of several entries, as in tests, names no file).
     */
    static boolean upgradePending(Path jar, Path ready) {
        try {
            return Files.isRegularFile(jar)
                    && Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(ready)) > 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static CriuReport criu(CriuFeatures f, CriuPolicy policy) {
        var r = CriuReport.newBuilder();
        if (f != null) {
            r.setBinary(f.binary()).setVersion(f.version()).setLazyPages(f.lazyPages()).setEncryption(f.encryption())
                    .setTls(f.tls()).putAllKernel(f.kernel()).setProblem(f.problem());
        } else {
            r.setProblem("not probed yet");
        }
        policy.allowed().forEach(o -> r.addAllowedOptions(o.key()));
        policy.defaults().values().forEach((o, v) -> r.putDefaultOptions(o.key(), o.isFile() ? "(set)" : v));
        policy.keyDirs().forEach(d -> r.addKeyDirs(d.toString()));
        return r.build();
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
