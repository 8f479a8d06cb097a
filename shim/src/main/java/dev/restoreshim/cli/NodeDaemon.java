package dev.restoreshim.cli;

import dev.restoreshim.cgroups.CgroupMetrics;
import dev.restoreshim.cgroups.OomWatcher;
import dev.restoreshim.config.ConfigLocation;
import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.config.ShimConfig;
import dev.restoreshim.criu.CriuFeatures;
import dev.restoreshim.criu.KdatCache;
import dev.restoreshim.criu.ProcessCriuCommand;
import dev.restoreshim.restore.CriuSetup;
import dev.restoreshim.restore.DeltaStore;
import dev.restoreshim.runc.CriuOnPath;
import dev.restoreshim.events.EventPublisher;
import dev.restoreshim.grpc.AdminEndpoint;
import dev.restoreshim.grpc.AdminStatusService;
import dev.restoreshim.grpc.DomainSocketLogNoise;
import dev.restoreshim.grpc.TaskEndpoint;
import dev.restoreshim.grpc.TaskServiceAdapter;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import dev.restoreshim.runc.Runc;
import dev.restoreshim.runc.RuncDeadlines;
import dev.restoreshim.runc.RuncSettings;
import dev.restoreshim.sys.LinuxFds;
import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.LinuxProcessControl;
import dev.restoreshim.sys.LinuxProcessLauncher;
import dev.restoreshim.sys.LinuxSignals;
import dev.restoreshim.process.ContainerDeps;
import dev.restoreshim.process.ExitListener;
import dev.restoreshim.sys.OrphanSweep;
import dev.restoreshim.sys.PidfdReaper;
import dev.restoreshim.sys.UnixSocketFile;
import dev.restoreshim.task.OciTaskRuntime;
import dev.restoreshim.restore.RecentRestores;
import dev.restoreshim.task.RestoringTaskRuntime;
import dev.restoreshim.task.TaskRuntime;
import dev.restoreshim.archive.EntryPolicy;
import dev.restoreshim.config.RestoreSettings;
import dev.restoreshim.overlay.DeltaCache;
import dev.restoreshim.overlay.DeltaLayer;
import dev.restoreshim.restore.RestoreEnvironment;
import dev.restoreshim.restore.Restorer;
import dev.restoreshim.sys.LinuxFileOps;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.LinuxFsMounts;
import dev.restoreshim.sys.LinuxPageCache;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.restore.ImageChoice;
import dev.restoreshim.restore.ImagePolicy;
import dev.restoreshim.task.TaskService;
import dev.restoreshim.task.TaskStore;
import dev.restoreshim.ttrpc.TtrpcDispatcher;
import dev.restoreshim.ttrpc.TtrpcEventSink;
import dev.restoreshim.ttrpc.TtrpcServer;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node daemon: one per containerd instance, serving every task of every namespace over TTRPC
 * ({@code containerd.task.v2.Task}) and gRPC ({@code containerd.task.v3.Task}), plus health,
 * reflection and status on the admin socket. Start-up order: become child subreaper, re-adopt the
 * tasks of a previous daemon, bind the sockets, write {@code daemon.pid} then {@code ready} (the
 * launcher waits for it). Every resource is pushed on a close stack where it is born and closed in
 * reverse on shutdown.
 */
public final class NodeDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeDaemon.class);
    static final Duration DRAIN = Duration.ofSeconds(10);
    /** Size cap of the node's delta cache (sum of extracted file bytes); unleased deltas are evicted LRU. */
    static final long DELTA_CACHE_MAX_BYTES = 16L << 30;

    private final Deque<AutoCloseable> closeStack = new ArrayDeque<>();
    /** CRIU's kernel-probe cache, set by the CRIU probe before its features complete. */
    private volatile KdatCache kdatCache;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Path dir;
    private final HealthStatusManager health = new HealthStatusManager();
    /** The last restores, for the admin Status call (restore-shim status). */
    private final RecentRestores recentRestores = new RecentRestores();
    private TaskService tasks;

    private NodeDaemon(Path dir) {
        this.dir = dir;
    }

    /** Runs the daemon until SIGTERM or an idle Shutdown; returns the process exit code. */
    public static int run(String[] argv) throws IOException, InterruptedException {
        DaemonArgs args = DaemonArgs.parse(argv);
        ShimConfig config = ConfigLocation.commandLineOr(args.config().map(Path::toString).orElse(""),
                System.getenv(), ConfigLocation.DEFAULT_FILE).load();
        DomainSocketLogNoise.silence();
        try (NodeDaemon daemon = new NodeDaemon(args.dir())) {
            daemon.start(config, args);
            Runtime.getRuntime().addShutdownHook(new Thread(daemon::stopAndAwaitClose, "daemon-sigterm"));
            daemon.stop.await();
            log.info("event=stopping dir={}", args.dir());
        }
        return 0;
    }

    /** A daemon in {@code dir} with default settings, no containerd and no events (for training). */
    static NodeDaemon startIn(Path dir) throws IOException {
        var daemon = new NodeDaemon(dir);
        try {
            daemon.start(ShimConfig.defaults(), new DaemonArgs(java.util.Optional.empty(), dir, "", ""));
        } catch (IOException | RuntimeException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    /**
     * The task runtime with restores: deltas cached under {@code <cache_dir>/deltas} (capped at
     * {@link #DELTA_CACHE_MAX_BYTES}), scratch upper dirs under {@code <cache_dir>/scratch/<daemon
     * id>} (the cache dir may be shared by the daemons of several containerd instances; each
     * removes only its own scratch dirs),
     * staging tmpfs mounts under {@code <daemon dir>/restore}. When the cache dir cannot be
     * opened, the daemon logs {@code event=restores_disabled}, serves ordinary creates, and refuses
     * restore requests with that reason.
     */
    private TaskRuntime restoring(TaskRuntime runtime, ShimConfig config, CriuSetup criu, ProcessLauncher launcher,
                                  Reaper reaper, Fds fds) {
        RestoreSettings rs = config.restore();
        DeltaCache cache;
        try {
            cache = DeltaCache.open(rs.cacheDir().resolve("deltas"), DELTA_CACHE_MAX_BYTES);
        } catch (IOException | RuntimeException e) {
            // ordinary pods must keep working when the cache dir is unusable; restores cannot
            log.error("event=restores_disabled cache_dir={} reason=\"{}\"", rs.cacheDir(), e.getMessage());
            return RestoringTaskRuntime.disabled(runtime, "delta cache " + rs.cacheDir() + ": " + e.getMessage());
        }
        var images = ImagePolicy.forHost(ImageChoice.valueOf(rs.images().name()), rs.cacheDir().resolve("erofs"),
                launcher, reaper, fds, new LinuxSignals(), rs.readahead() ? new LinuxPageCache() : null);
        log.info("event=restore_images choice={} erofs={} readahead={}", rs.images().configName(),
                images.erofs() != null ? "available" : "\"unavailable: " + images.erofsUnavailable() + "\"",
                images.pageCache() != null);
        var deltas = DeltaStore.forHost(rs.delta(), launcher, reaper, fds, new LinuxSignals());
        log.info("event=restore_deltas choice={} erofs={}", rs.delta().configName(),
                deltas.erofs() != null ? "available" : "\"unavailable: " + deltas.unavailable() + "\"");
        var env = new RestoreEnvironment(new LinuxMounts(), new LinuxFsMounts(), new LinuxFileOps(), cache,
                new DaemonLayout(dir).restoreDir(), rs.cacheDir().resolve("scratch").resolve(dir.getFileName()),
                rs.tmpfsSizeLimitBytes(),
                EntryPolicy.defaults(), DeltaLayer.Limits.DEFAULT, images, deltas);
        return new RestoringTaskRuntime(runtime, new Restorer(env), criu, recentRestores);
    }

    /**
     * Probes CRIU and the kernel once, on a virtual thread, so that daemon start does not wait for
     * it; restores wait for the result (a few tens of milliseconds), the status report shows it
     * when it is there. First provides CRIU's kernel-probe cache where {@code /run} is not a tmpfs
     * ({@link KdatCache}, closed with the daemon). Logs {@code event=criu_kdat_cache} and
     * {@code event=criu_features}.
     */
    private CompletableFuture<CriuFeatures> probeCriu(ShimConfig config) {
        String binary = config.criu();
        var done = new CompletableFuture<CriuFeatures>();
        Thread.ofVirtual().name("criu-probe").start(() -> {
            KdatCache kdat = config.criuKdatCache() ? KdatCache.provide(binary, new MountBinder(new LinuxMounts()))
                    : KdatCache.disabled("[criu] kdat_cache = false");
            kdatCache = kdat;
            log.info("event=criu_kdat_cache state={} path={}{}", kdat.state().name().toLowerCase(java.util.Locale.ROOT),
                    KdatCache.CRIU_CACHE, kdat.reason().isEmpty() ? "" : " reason=\"" + kdat.reason() + "\"");
            CriuFeatures f = CriuFeatures.detect(new ProcessCriuCommand(binary), Path.of("/"));
            if (f.usable()) {
                log.info("event=criu_features {}", logFields(f));
            } else {
                log.warn("event=criu_features {}", logFields(f));
            }
            done.complete(f);
        });
        return done;
    }

    /** The kernel-probe cache's bind mount, by mount(2). */
    private record MountBinder(Mounts mounts) implements KdatCache.Binder {
        @Override
        public void bind(Path source, Path target) {
            mounts.mount(source.toString(), target.toString(), null, Mounts.MS_BIND, null);
        }

        @Override
        public void unmount(Path target) {
            mounts.unmount(target.toString(), Mounts.MNT_DETACH);
        }
    }

    /** At stop: removes the kernel-probe cache's bind mount, after the probe (it may still be binding it). */
    private void closeKdatCache(CompletableFuture<CriuFeatures> probed) {
        try {
            probed.get(40, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("event=criu_probe_unfinished reason=\"{}\"", String.valueOf(e));
        }
        KdatCache k = kdatCache;
        if (k != null) {
            k.close();
        }
    }

    /**
     * CRIU's features for a restore, once probed; puts the kernel-probe cache back first if
     * another node daemon's stop took it away.
     */
    private CriuFeatures criuForRestore(CompletableFuture<CriuFeatures> probed) {
        CriuFeatures f = probed.join();
        String problem = kdatCache.ensure();
        if (!problem.isEmpty()) {
            log.warn("event=criu_kdat_cache_lost reason=\"{}\"", problem);
        }
        return f;
    }

    private static String logFields(CriuFeatures f) {
        StringBuilder sb = new StringBuilder();
        f.asMap().forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append("=\"").append(v).append('"'));
        return sb.toString();
    }

    private void start(ShimConfig config, DaemonArgs args) throws IOException {
        DaemonLayout layout = new DaemonLayout(dir);
        Files.createDirectories(dir);
        var fds = new LinuxFds();
        new LinuxProcessControl().setChildSubreaper(true);

        var reaper = push(new PidfdReaper(fds));
        push(new OrphanSweep(reaper).every(Duration.ofSeconds(30)));
        var launcher = new LinuxProcessLauncher(fds);
        var publisher = push(new EventPublisher(TtrpcEventSink.forAddress(args.ttrpcAddress())));
        var oom = push(OomWatcher.host());
        var signals = new LinuxSignals();
        var runcEnv = CriuOnPath.env(System.getenv(), config.criu());
        // OciTaskRuntime replaces the template's runc and listener per container
        var template = new ContainerDeps(new Runc(new RuncSettings(Path.of(config.runtime()), config.runtimeRoot(), false),
                launcher, reaper, fds, dir.resolve("runc.log"), runcEnv), new LinuxMounts(), fds, reaper, signals,
                ExitListener.none(), Duration.ofSeconds(10));
        var runtime = new OciTaskRuntime(settings -> new Runc(settings, launcher, reaper, fds, dir.resolve("runc.log"),
                runcEnv).withDeadlines(RuncDeadlines.DEFAULT, signals),
                Path.of(config.runtime()), config.runtimeRoot(), false, template, CgroupMetrics.host());
        var criuFeatures = probeCriu(config);
        push(() -> closeKdatCache(criuFeatures));
        var criu = new CriuSetup(config.criuPolicy(), () -> criuForRestore(criuFeatures));
        tasks = new TaskService(restoring(runtime, config, criu, launcher, reaper, fds), new TaskStore(dir),
                publisher::send, oom,
                () -> log.debug("event=idle_shutdown_ignored reason=\"the node daemon stays warm for the next task\""));
        tasks.configOrigin(config.origin());
        tasks.adoptAll();

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        push(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
        var adapter = new TaskServiceAdapter(tasks);
        var dispatcher = push(TtrpcDispatcher.builder().addTaskService(adapter).build());
        var ttrpc = TtrpcServer.start(layout.ttrpcSocket(), dispatcher, group, UnixSocketFile.currentUid());
        push(() -> ttrpc.shutdown(DRAIN));
        var grpc = TaskEndpoint.start(layout.grpcSocket(), adapter, group);
        push(() -> grpc.shutdown(DRAIN));
        var admin = AdminEndpoint.start(layout.adminSocket(), health,
                List.of(new AdminStatusService(tasks, layout, args.containerdAddress(), config, recentRestores,
                        () -> criuFeatures.getNow(null), () -> {
                            KdatCache k = kdatCache;
                            return k == null ? "" : k.describe();
                        })), group);
        push(() -> admin.shutdown(Duration.ofSeconds(2)));

        health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        health.setStatus(TaskGrpc.SERVICE_NAME, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        writeMarker("daemon.pid", ProcessHandle.current().pid() + "\n");
        writeMarker("ready", "");
        push(() -> Files.deleteIfExists(dir.resolve("ready")));
        log.info("event=ready dir={} pid={} containerd={} tasks={}", dir, ProcessHandle.current().pid(),
                args.containerdAddress(), tasks.list().size());
    }

    /** SIGTERM: let the main thread close everything, and hold the JVM until it has. */
    private void stopAndAwaitClose() {
        stop.countDown();
        try {
            closed.await(DRAIN.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeMarker(String name, String content) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private <T extends AutoCloseable> T push(T resource) {
        closeStack.push(resource);
        return resource;
    }

    @Override
    public void close() {
        while (!closeStack.isEmpty()) {
            try {
                closeStack.pop().close();
            } catch (Exception e) {
                log.warn("event=close_failed reason={}", e.getMessage());
            }
        }
        closed.countDown();
    }
}
