package dev.restoreshim.it;

import dev.restoreshim.proto.cri.PodSandbox;
import dev.restoreshim.proto.cri.ListPodSandboxRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import dev.restoreshim.proto.cri.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A private containerd 2.1 process for one test: its own root, state, gRPC and TTRPC sockets, CNI
 * dir and runc root under a temp dir in /tmp (short, for socket paths), handlers {@code runc} and
 * {@code restore} registered, the local registry reachable over plain HTTP, and a per-instance
 * restore-shim config (own state dir, protocol) passed through {@code RESTORE_SHIM_CONFIG}.
 *
 * <p>{@link #close()} removes everything it made: pods and tasks, then containerd, then any
 * process still marked as ours (shims, daemon, containers), mounts under its dir, its cgroups and
 * the dir itself. containerd's log stays in {@code target/it-logs/}.
 */
public final class PrivateContainerd implements AutoCloseable {

    /** The containerd namespace used for {@code ctr} calls (CRI uses {@code k8s.io}). */
    public static final String CTR_NAMESPACE = "rsit";
    /** Pod annotations with this prefix reach the restore handler's OCI spec. */
    public static final String ANNOTATION_PREFIX = "restore-shim.dev/";

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String name;
    private final Handler handler;
    private final Path dir;
    private final Path log;
    private final String marker;
    private final String cgroupParent;
    private final ProcessBuilder builder;
    private volatile Process process;
    private final CriClient cri;

    private PrivateContainerd(String name, Handler handler, Path dir, Path log, String marker, String cgroupParent,
            ProcessBuilder builder) throws IOException {
        this.name = name;
        this.handler = handler;
        this.dir = dir;
        this.log = log;
        this.marker = marker;
        this.cgroupParent = cgroupParent;
        this.builder = builder;
        this.process = builder.start();
        this.cri = new CriClient(dir.resolve("containerd.sock"));
    }

    /**
     * Stops containerd (SIGTERM, as a service manager would) and starts it again on the same
     * config, root and state, as an operator restarting or upgrading containerd does; shims and
     * containers keep running. Returns once CRI answers again.
     */
    public void restart() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("containerd " + name + " did not stop within 30 s of SIGTERM:\n" + logTail(20));
        }
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = builder.start();
        awaitCri(Duration.ofSeconds(30));
    }

    /**
     * Starts containerd for {@code handler} and waits until CRI answers. For restore-shim
     * handlers the shim is installed first (see {@link ShimInstall}).
     */
    public static PrivateContainerd start(String testName, Handler handler, String registryHost, String sandboxImage)
            throws IOException {
        return start(testName, handler, registryHost, sandboxImage, "", dir -> "", RunDirs.onTmpfs());
    }

    /**
     * As {@link #start(String, Handler, String, String)}, with what a standard node keeps under
     * {@code /run} (containerd's state dir, the runc roots, restore-shim's state dir) on tmpfs
     * mounts ({@link RunDirs}) whatever {@code it.runOnTmpfs} says: for a test that checks what a
     * restore writes to disk.
     */
    public static PrivateContainerd startWithRunOnTmpfs(String testName, Handler handler, String registryHost,
                                                        String sandboxImage) throws IOException {
        return start(testName, handler, registryHost, sandboxImage, "", dir -> "", true);
    }

    /**
     * As {@link #start(String, Handler, String, String)}, with a {@code [criu]} table for the
     * restore-shim config ({@code criuToml}, replacing the plain {@code criu = "criu"}; empty: none).
     */
    public static PrivateContainerd start(String testName, Handler handler, String registryHost, String sandboxImage,
                                          String criuToml) throws IOException {
        return start(testName, handler, registryHost, sandboxImage, criuToml, dir -> "", RunDirs.onTmpfs());
    }

    /**
     * As {@link #start(String, Handler, String, String)}, with {@code extraConfig} (given the
     * instance dir, before containerd starts) appended to containerd's config.toml: more runtime
     * handlers, for example (the restore benchmark's restore-shim variants).
     */
    public static PrivateContainerd start(String testName, Handler handler, String registryHost, String sandboxImage,
            java.util.function.Function<Path, String> extraConfig) throws IOException {
        return start(testName, handler, registryHost, sandboxImage, "", extraConfig, RunDirs.onTmpfs());
    }

    private static PrivateContainerd start(String testName, Handler handler, String registryHost, String sandboxImage,
            String criuToml, java.util.function.Function<Path, String> extraConfig, boolean runOnTmpfs)
            throws IOException {
        Path prefix = handler.isRestoreShim() ? ShimInstall.prefix() : null;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "rsit-");
        String id = dir.getFileName().toString();
        String name = testName + "-" + handler.id() + "-" + COUNTER.incrementAndGet();
        Path log = TestEnvironment.logDir().resolve("containerd-" + name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".log");
        Files.createDirectories(log.getParent());
        Files.createDirectories(dir.resolve("cni"));
        Files.createDirectories(dir.resolve("logs"));
        RunDirs.create(runOnTmpfs, dir.resolve("state"), dir.resolve("runc"), dir.resolve("shim/state"),
                dir.resolve("shim/runc"));
        writeRegistryHosts(dir, registryHost);
        Path shimConfig = dir.resolve("shim/config.toml");
        String shimToml = shimConfigToml(dir, handler);
        if (!criuToml.isEmpty()) {
            shimToml = shimToml.replace("criu = \"criu\"\n", "") + "\n" + criuToml;
        }
        Files.writeString(shimConfig, shimToml);
        Path config = dir.resolve("config.toml");
        Files.writeString(config, ContainerdConfig.toml(dir, sandboxImage, prefix, shimConfig) + extraConfig.apply(dir));

        ProcessBuilder builder = new ProcessBuilder("containerd", "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        String marker = "RSIT_INSTANCE=" + id;
        env.put("RSIT_INSTANCE", id);
        env.put("RESTORE_SHIM_CONFIG", shimConfig.toString());
        if (prefix != null) {
            env.put("PATH", prefix.resolve("bin") + ":" + env.getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        }
        PrivateContainerd containerd = new PrivateContainerd(name, handler, dir, log, marker, id, builder);
        try {
            containerd.awaitCri(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            containerd.close();
            throw e;
        }
        return containerd;
    }

    /** The CRI client connected to this instance. */
    public CriClient cri() {
        return cri;
    }

    /** The handler variant this instance was started for. */
    public Handler handler() {
        return handler;
    }

    /** The temp dir holding everything of this instance. */
    public Path dir() {
        return dir;
    }

    /** containerd's gRPC socket. */
    public Path socket() {
        return dir.resolve("containerd.sock");
    }

    /** containerd's state dir (task bundles live under {@code io.containerd.runtime.v2.task}). */
    public Path state() {
        return dir.resolve("state");
    }

    /** The bundle containerd made for CRI container {@code containerId} (namespace {@code k8s.io}). */
    public Path criBundle(String containerId) {
        return state().resolve("io.containerd.runtime.v2.task").resolve("k8s.io").resolve(containerId);
    }

    /** restore-shim's state dir for this instance. */
    public Path shimState() {
        return dir.resolve("shim/state");
    }

    /** The runc root used by the runc handler. */
    public Path runcRoot() {
        return dir.resolve("runc");
    }

    /** The OCI runtime root restore-shim uses for this instance. */
    public Path shimRuncRoot() {
        return dir.resolve("shim/runc");
    }

    /** Directory for pod log dirs. */
    public Path podLogs() {
        return dir.resolve("logs");
    }

    /** The cgroup parent pods of this instance must use, so their processes are recognisable. */
    public String cgroupParent() {
        return "/" + cgroupParent;
    }

    /** containerd's pid. */
    public long pid() {
        return process.pid();
    }

    /** containerd's log file. */
    public Path log() {
        return log;
    }

    /** True while the containerd process runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * restore-shim node daemons of this instance that are alive: the pids in
     * {@code <shim state>/d/<id>/daemon.pid}. The daemon stays warm when it has no tasks.
     */
    public List<Long> warmDaemons() {
        return InstanceCleanup.daemonPids(shimState()).stream()
                .filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).toList();
    }

    /** Processes of this instance other than containerd itself: shims, daemon, containers. */
    public List<HostScan.HostProcess> processes() {
        return HostScan.processesOf(marker, dir, cgroupParent, process.pid());
    }

    /** A {@code ctr} command against this instance in namespace {@link #CTR_NAMESPACE}. */
    public HostCommand ctr(String... args) {
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", socket().toString(), "--namespace", CTR_NAMESPACE));
        argv.addAll(List.of(args));
        return HostCommand.of(argv);
    }

    /** The last lines of containerd's log, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void awaitCri(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        StatusRuntimeException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("containerd " + name + " exited with " + process.exitValue() + ":\n" + logTail(30));
            }
            try {
                cri.runtime(Duration.ofSeconds(2)).version(VersionRequest.newBuilder().setVersion("v1").build());
                return;
            } catch (StatusRuntimeException e) {
                last = e;
                PodmanService.sleep(50);
            }
        }
        throw new IllegalStateException("containerd " + name + " CRI did not answer within " + limit + ": " + last
                + "\n" + logTail(30));
    }

    private static void writeRegistryHosts(Path dir, String registryHost) throws IOException {
        Path hosts = Files.createDirectories(dir.resolve("certs.d").resolve(registryHost));
        Files.writeString(hosts.resolve("hosts.toml"), """
                server = "http://%1$s"

                [host."http://%1$s"]
                  capabilities = ["pull", "resolve", "push"]
                  skip_verify = true
                """.formatted(registryHost));
    }

    /**
     * restore-shim's per-instance config (keys of {@code dev.restoreshim.config.ConfigFile}): own
     * state dir, runc root and restore cache under the instance dir, the protocol of the variant,
     * and the log level from {@code it.shim.logLevel} (default debug; the demo uses info unless told
     * otherwise). No {@code java}: the daemon runs on what install.sh installed (its runtime image
     * and AOT cache), as on a node.
     */
    static String shimConfigToml(Path dir, Handler handler) {
        return """
                # restore-shim config for one integration-test containerd instance
                state_dir = "%s"
                runtime_root = "%s"
                protocol = "%s"
                runtime = "runc"
                criu = "criu"
                log_level = "%s"

                [restore]
                cache_dir = "%s"
                """.formatted(dir.resolve("shim/state"), dir.resolve("shim/runc"),
                handler.protocol() == null ? "ttrpc" : handler.protocol(), System.getProperty("it.shim.logLevel", "debug"),
                dir.resolve("shim/cache"));
    }

    /** Tears down everything of this instance; never throws for a cleanup step that fails. */
    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        if (process.isAlive()) {
            removeAllPods(problems);
            removeCtrTasks(problems);
        }
        cri.close();
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        InstanceCleanup.stopDaemons(warmDaemons(), problems);
        InstanceCleanup.killProcesses(processes(), problems);
        InstanceCleanup.keepDaemonLogs(shimState(), log.resolveSibling("daemon-" + name + ".log"), problems);
        InstanceCleanup.unmountAll(dir, problems);
        InstanceCleanup.removeCgroups(cgroupParent, problems);
        if (!Boolean.getBoolean("it.keep")) {
            InstanceCleanup.deleteDir(dir, problems);
        }
        if (!problems.isEmpty()) {
            System.err.println("cleanup of containerd " + name + " (" + dir + "): " + String.join("; ", problems));
        }
    }

    private void removeAllPods(List<String> problems) {
        try {
            for (PodSandbox pod : cri.runtime(Duration.ofSeconds(10)).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
                cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
                cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
            }
        } catch (StatusRuntimeException e) {
            problems.add("removing pods: " + e.getStatus());
        }
    }

    private void removeCtrTasks(List<String> problems) {
        HostCommand.Result list = ctr("containers", "list", "--quiet").withTimeout(Duration.ofSeconds(20)).run();
        for (String id : list.stdout().lines().map(String::strip).filter(s -> !s.isEmpty()).toList()) {
            ctr("tasks", "kill", "--signal", "SIGKILL", id).withTimeout(Duration.ofSeconds(20)).run();
            ctr("tasks", "delete", "--force", id).withTimeout(Duration.ofSeconds(30)).run();
            HostCommand.Result removed = ctr("containers", "delete", id).withTimeout(Duration.ofSeconds(30)).run();
            if (!removed.ok()) {
                problems.add("ctr containers delete " + id + ": " + removed.stderr().strip());
            }
        }
    }
}
