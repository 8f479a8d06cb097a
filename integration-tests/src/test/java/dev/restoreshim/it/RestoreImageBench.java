package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The restore image benchmark ({@code deploy/bench-restore-image.sh} runs it through Maven): for
 * each memory size, the bench app runs on the stock runc handler and is checkpointed through CRI
 * {@code CheckpointContainer} to an archive; from it two images are built and pushed to the
 * loopback registry: (a) the stock checkpoint image containerd 2.1's CRI restores
 * ({@link StockCheckpointImage}), (b) the restore image ({@link RestoreImages#build}). Then, RUNS
 * times, alternating, each side is restored into a new pod as the kubelet would
 * ({@link RestoreImageTrial}): stock = handler runc with image (a), restore-shim = handler restore
 * with image (b), and restore-shim lazy = handler {@code restore-image-lazy}
 * ({@link ShimVariant#IMAGE_LAZY}, CRIU's lazy pages on) with image (b); pull timed apart, page
 * cache dropped before Create.
 *
 * <p>Everything it starts is removed at the end, also on failure, SIGINT or SIGTERM.
 * System properties: {@code bench.sizes} (MiB, default "64 512"), {@code bench.runs} (default 3).
 * Writes its pid to {@code target/demo.pid} and its exit code to {@code target/demo.exit}.
 */
public final class RestoreImageBench {

    private static final String RUNC = Handler.RUNC.criName();
    private static final String RESTORE = Handler.RESTORE_TTRPC.criName();

    private final DemoRun demo = new DemoRun("bench", "== cleanup: archives, images, restore-shim daemon,"
            + " containerd, registry, Podman service",
            "the call in flight", Duration.ofSeconds(300));
    private final DemoResources resources = demo.resources();

    public static void main(String[] args) {
        RestoreImageBench bench = new RestoreImageBench();
        System.exit(bench.demo.run(() -> bench.measure(BenchSetup.sizes(), BenchSetup.runs())));
    }

    private void measure(int[] sizes, int runs) throws IOException {
        HostTools.requireAll();
        Path launcher = ShimInstall.launcher();
        System.out.println("== where");
        HostFacts.describe(launcher).forEach(l -> System.out.println("  " + l));
        System.out.println("  load average at start: " + loadAverage());
        System.out.println("== setup");
        BenchSetup setup = BenchSetup.start(resources);
        LocalRegistry registry = setup.registry();
        TestImages images = setup.images();
        BenchImage bench = setup.bench();
        ShimVariant lazy = ShimVariant.IMAGE_LAZY;
        PrivateContainerd containerd = resources.own(PrivateContainerd.start("imgbench", Handler.RESTORE_TTRPC,
                registry.host(), images.pause(), dir -> lazy.install(dir, launcher)));
        resources.own(() -> PodStartDemo.stopDaemon(containerd));
        resources.own(() -> ShimVariant.stopDaemons(lazy.stateDir(containerd.dir())));
        Path archives = Files.createTempDirectory(Path.of("/tmp"), "restore-image-bench-");
        resources.own(() -> LocalRegistry.deleteTree(archives));
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(bench.ref());
        System.out.printf("  containerd in %s, base image %s (pulled once: both sides pull only their own layers)%n",
                containerd.dir(), bench.ref());

        List<RestoreImageTable.Row> rows = new ArrayList<>();
        for (int mib : sizes) {
            demo.checkNotStopping();
            rows.add(measureSize(containerd, registry, bench, archives, mib, runs));
        }
        System.out.printf("== result: median of %d run%s per cell, page cache dropped before each Create, %s,"
                + " load average %s%n", runs, runs == 1 ? "" : "s", Instant.now().truncatedTo(ChronoUnit.SECONDS),
                loadAverage());
        RestoreImageTable.lines(rows).forEach(l -> System.out.println("  " + l));
    }

    private RestoreImageTable.Row measureSize(PrivateContainerd containerd, LocalRegistry registry, BenchImage bench,
            Path archives, int mib, int runs) throws IOException {
        System.out.printf("== %d MiB (load average %s)%n", mib, loadAverage());
        Path archive = archives.resolve("bench-" + mib + ".tar");
        long lastTick = RestoreTrial.checkpointBenchApp(containerd, bench, archive, mib);
        long archiveBytes = Files.size(archive);
        String stockRef = registry.host() + "/rsit/bench-checkpoint:" + mib;
        String shimRef = registry.host() + "/rsit/bench-restore:" + mib;
        try {
            long b0 = System.nanoTime();
            StockCheckpointImage.build(archive, "app", bench.ref(), stockRef);
            long b1 = System.nanoTime();
            RestoreImages.build(archive, bench.ref(), shimRef, TestEnvironment.workDir());
            System.out.printf("  images built and pushed: stock checkpoint image %.1f s, restore image %.1f s%n",
                    (b1 - b0) / 1e9, (System.nanoTime() - b1) / 1e9);
        } finally {
            Files.deleteIfExists(archive);
        }
        RestoreImageTable.Side stock = new RestoreImageTable.Side("stock");
        RestoreImageTable.Side shim = new RestoreImageTable.Side("restore-shim");
        RestoreImageTable.Side lazy = new RestoreImageTable.Side("restore-shim lazy");
        Path lazyState = ShimVariant.IMAGE_LAZY.stateDir(containerd.dir());
        for (int run = 1; run <= runs && (stock.error == null || shim.error == null || lazy.error == null); run++) {
            String suffix = mib + "-" + run;
            demo.checkNotStopping();
            attempt(stock, () -> RestoreImageTrial.run(containerd, "stock-" + suffix, RUNC, stockRef, mib, lastTick,
                    null, false));
            demo.checkNotStopping();
            attempt(shim, () -> RestoreImageTrial.run(containerd, "shim-" + suffix, RESTORE, shimRef, mib, lastTick,
                    containerd.shimState(), false));
            demo.checkNotStopping();
            attempt(lazy, () -> RestoreImageTrial.run(containerd, "lazy-" + suffix, ShimVariant.IMAGE_LAZY.criName(),
                    shimRef, mib, lastTick, lazyState, true));
            System.out.printf("  run %d/%d: %s; %s; %s (load %s)%n", run, runs, stock.describe(), shim.describe(),
                    lazy.describe(), loadAverage());
        }
        for (RestoreImageTable.Side side : List.of(stock, shim, lazy)) {
            if (side.error != null) {
                System.out.println("  FAILED " + side.name + ": " + side.error);
            }
        }
        return new RestoreImageTable.Row(mib, archiveBytes, stock, shim, lazy);
    }

    private interface Trial {
        RestoreImageTrial.Result run() throws IOException;
    }

    /** Runs one trial of {@code side} unless it already failed; a CRI or restore failure is kept as its error. */
    private static void attempt(RestoreImageTable.Side side, Trial trial) throws IOException {
        if (side.error != null) {
            return;
        }
        try {
            side.results.add(trial.run());
        } catch (io.grpc.StatusRuntimeException | IllegalStateException e) {
            side.error = e.getMessage();
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

}
