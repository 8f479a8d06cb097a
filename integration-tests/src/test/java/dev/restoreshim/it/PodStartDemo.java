package dev.restoreshim.it;

import java.time.Duration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The demo ({@code deploy/bench-podstart.sh} runs it through Maven): a loopback registry and one private
 * containerd with the handlers {@code runc} (containerd-shim-runc-v2) and {@code restore}
 * (restore-shim over TTRPC), then pods run the kubelet way through CRI on both handlers, timed
 * per CRI call, and a table of the results.
 *
 * <p>Order: one cold pod per handler (the restore one starts the node daemon), then
 * {@code demo.pods} rounds of one pod per handler, alternating, so that drift hits both alike.
 * Both images are pulled before the first pod, so PullImage is the kubelet's cache hit.
 *
 * <p>Everything it starts is removed at the end, also on failure, SIGINT or SIGTERM (a shutdown
 * hook runs the same cleanup). While it runs, its pid is in {@code target/demo.pid}.
 *
 * <p>System properties: {@code demo.pods} (default 5), {@code it.shim.prefix} (the install to
 * use; without it {@link ShimInstall} runs deploy/install.sh), {@code it.workdir}, {@code it.repo}.
 */
public final class PodStartDemo {

    private static final String RUNC = Handler.RUNC.criName();
    private static final String RESTORE = Handler.RESTORE_TTRPC.criName();

    private final DemoRun demo = new DemoRun("demo", "== cleanup: containerd, restore-shim daemon, registry, Podman service, mounts, cgroups",
            "the pod in flight", Duration.ofSeconds(60));
    private final DemoResources resources = demo.resources();

    public static void main(String[] args) {
        PodStartDemo d = new PodStartDemo();
        int pods = Integer.getInteger("demo.pods", 5);
        System.exit(d.demo.run(() -> d.measure(pods)));
    }

    private void measure(int pods) throws IOException {
        HostTools.requireAll();
        Path launcher = ShimInstall.launcher();
        System.out.println("== where");
        HostFacts.describe(launcher).forEach(l -> System.out.println("  " + l));

        System.out.println("== setup");
        long t = System.nanoTime();
        PodmanService podman = resources.own(PodmanService.start(TestEnvironment.logDir()));
        LocalRegistry registry = resources.own(LocalRegistry.start(podman, TestEnvironment.workDir()));
        TestImages images = TestImages.buildAndPush(registry, TestEnvironment.workDir());
        System.out.printf("  registry %s with %s and %s (Podman service, Testcontainers): %.1f s%n",
                registry.host(), images.pause().substring(registry.host().length() + 1),
                images.app().substring(registry.host().length() + 1), (System.nanoTime() - t) / 1e9);
        t = System.nanoTime();
        PrivateContainerd containerd = resources.own(PrivateContainerd.start("demo", Handler.RESTORE_TTRPC, registry.host(), images.pause()));
        resources.own(() -> stopDaemon(containerd));
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        System.out.printf("  containerd in %s, handlers runc (containerd-shim-runc-v2) and restore"
                + " (restore-shim, TTRPC), images pulled: %.1f s%n",
                containerd.dir(), (System.nanoTime() - t) / 1e9);

        System.out.println("== pods (sandbox + app container, host network, CRI over gRPC like the kubelet)");
        TimedPod pod = new TimedPod(containerd, images);
        Map<PodPhase, Double> runcCold = pod.run("cold-runc", RUNC);
        demo.checkNotStopping();
        Map<PodPhase, Double> restoreCold = pod.run("cold-restore", RESTORE);
        System.out.printf("  1st pods (restore starts its node daemon): pod start runc %.0f ms, restore %.0f ms%n",
                TimingTable.start(runcCold), TimingTable.start(restoreCold));
        List<Map<PodPhase, Double>> runc = new ArrayList<>();
        List<Map<PodPhase, Double>> restore = new ArrayList<>();
        for (int i = 1; i <= pods; i++) {
            demo.checkNotStopping();
            runc.add(pod.run("runc-" + i, RUNC));
            demo.checkNotStopping();
            restore.add(pod.run("restore-" + i, RESTORE));
            System.out.printf("  round %d/%d: pod start runc %.0f ms, restore %.0f ms%n", i, pods,
                    TimingTable.start(runc.getLast()), TimingTable.start(restore.getLast()));
        }

        System.out.printf("== result: %d warm pods per handler, median (p50) and p90 (nearest rank), %s%n", pods,
                Instant.now().truncatedTo(ChronoUnit.SECONDS));
        TimingTable table = new TimingTable(RUNC, RESTORE, runc, restore, runcCold, restoreCold);
        table.lines().forEach(l -> System.out.println("  " + l));
        System.out.println("  pod start = RunPodSandbox .. first log line; ratio = restore p50 / runc p50; 1st pod = cold");

        demo.checkNotStopping();
        int launches = Integer.getInteger("demo.launches", 50);
        System.out.printf("== launcher: %d x `%s start` against the live daemon (cwd = bundle, containerd's flags and env)%n",
                launches, ShimInstall.LAUNCHER);
        LauncherBench bench = LauncherBench.run(containerd, launcher, launches);
        System.out.printf("  p50 %.1f ms, p90 %.1f ms, min %.1f ms, max %.1f ms (spawn to exit, seen from a JVM)%n",
                bench.p50(), bench.p90(), bench.millis()[0], bench.millis()[launches - 1]);

        demo.checkNotStopping();
        int rssPods = Integer.getInteger("demo.rssPods", 10);
        System.out.printf("== daemon memory: %d pods of sandbox + app on restore = %d running tasks%n", rssPods, rssPods * 2);
        DaemonRss rss = DaemonRss.measure(containerd, images, RESTORE, rssPods);
        System.out.printf("  VmRSS of daemon pid %d: %.1f MiB idle before, %.1f MiB with %d tasks, %.1f MiB after removal%n",
                rss.pid(), DaemonRss.mib(rss.idleKib()), DaemonRss.mib(rss.rssKib()), rss.tasks(), DaemonRss.mib(rss.afterKib()));

        System.out.println("== targets (issue 2)");
        double ratio = TimingTable.percentile(sorted(restore, TimingTable::start), 50)
                / TimingTable.percentile(sorted(runc, TimingTable::start), 50);
        target("pod start restore/runc (p50)", "%.2fx".formatted(ratio), "<= 1.20x", ratio <= 1.2);
        target("launcher start (p50)", "%.1f ms".formatted(bench.p50()), "<= 20 ms", bench.p50() <= 20);
        target("daemon RSS, %d tasks".formatted(rss.tasks()), "%.1f MiB".formatted(DaemonRss.mib(rss.rssKib())),
                "<= 96 MiB", rss.rssKib() <= 96 * 1024);
    }

    private static double[] sorted(List<Map<PodPhase, Double>> pods,
            java.util.function.ToDoubleFunction<Map<PodPhase, Double>> value) {
        return pods.stream().mapToDouble(value).sorted().toArray();
    }

    private static void target(String what, String measured, String goal, boolean met) {
        System.out.printf("  %-30s %10s   target %-9s %s%n", what, measured, goal, met ? "PASS" : "MISS");
    }

    /** The daemon stays warm after its last task; stop it (SIGTERM) before containerd goes. */
    static void stopDaemon(PrivateContainerd containerd) {
        for (long pid : daemonPids(containerd)) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroy();
                try {
                    p.onExit().get(15, TimeUnit.SECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            });
        }
    }

    private static List<Long> daemonPids(PrivateContainerd containerd) {
        Path daemons = containerd.shimState().resolve("d");
        if (!Files.isDirectory(daemons)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(daemons)) {
            List<Long> pids = new ArrayList<>();
            for (Path d : dirs.toList()) {
                Path pid = d.resolve("daemon.pid");
                if (Files.isRegularFile(pid)) {
                    pids.add(Long.parseLong(Files.readString(pid).strip()));
                }
            }
            return pids;
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
    }

}
