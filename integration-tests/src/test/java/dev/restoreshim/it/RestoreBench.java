package dev.restoreshim.it;

import dev.restoreshim.proto.cri.CheckpointContainerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The restore benchmark ({@code deploy/bench-restore.sh} runs it through Maven): for each memory
 * size, the bench app runs on the stock runc handler, is checkpointed through CRI
 * {@code CheckpointContainer} to an archive in /tmp, and is then restored into new pods, page cache
 * dropped before each restore: (a) stock, containerd's own CRI restore (CreateContainer with
 * image = archive path, handler runc); (b) restore-shim (CreateContainer with the bench image and
 * the pod annotation {@code restore-shim.dev/checkpoint=<archive>}, handler restore). Each is timed
 * from CreateContainer through StartContainer, and until the counter shows in the new log.
 *
 * <p>Everything it starts is removed at the end, also on failure, SIGINT or SIGTERM.
 * System properties: {@code bench.sizes} (MiB, default "64 512"), {@code bench.runs} (default 3).
 * Writes its pid to {@code target/demo.pid} and its exit code to {@code target/demo.exit}.
 */
public final class RestoreBench {

    private static final String RUNC = Handler.RUNC.criName();
    private static final String RESTORE = Handler.RESTORE_TTRPC.criName();
    private static final String ANNOTATION = PrivateContainerd.ANNOTATION_PREFIX + "checkpoint";

    private final Path pidFile = TestEnvironment.workDir().resolve("demo.pid");
    private final DemoResources resources = new DemoResources("bench",
            "== cleanup: archives, restore-shim daemon, containerd, registry, Podman service", pidFile, () -> this.stopping);
    private final Path exitFile = TestEnvironment.workDir().resolve("demo.exit");
    private final CountDownLatch mainDone = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile boolean interrupted;

    /** One size's result: the runs of each side, or the exact error that ended a side's runs. */
    private record Row(int mib, long archiveBytes, List<RestoreTrial.Timing> stock, List<RestoreTrial.Timing> shim,
            List<String> errors) {
    }

    /** A side's runs; after its first failure a side is not tried again for this size. */
    private static final class Side {
        final String name;
        final List<RestoreTrial.Timing> timings = new ArrayList<>();
        String error;

        Side(String name) {
            this.name = name;
        }

        String describe() {
            if (error != null) {
                return name + " FAILED";
            }
            RestoreTrial.Timing t = timings.getLast();
            return "%s create %.0f + start %.0f ms (tick %d visible %.0f ms)".formatted(name, t.createMs(), t.startMs(),
                    t.firstTick(), t.visibleMs());
        }
    }

    public static void main(String[] args) {
        int[] sizes = Arrays.stream(System.getProperty("bench.sizes", "64 512").trim().split("[ ,]+"))
                .mapToInt(Integer::parseInt).toArray();
        System.exit(new RestoreBench().run(sizes, Integer.getInteger("bench.runs", 3)));
    }

    private int run(int[] sizes, int runs) {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(this::onSignal));
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (!stopping) {
                System.err.println("bench: " + thread.getName() + ": " + e);
            }
        });
        int code = 1;
        try {
            Files.deleteIfExists(exitFile);
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
            measure(sizes, runs);
            code = 0;
        } catch (Exception | AssertionError e) {
            if (!stopping) {
                System.out.println("bench: FAILED: " + e);
                System.out.println("bench: logs in " + TestEnvironment.logDir());
            }
        } finally {
            stopping = true;
            resources.closeAll();
            code = interrupted ? PodStartDemo.EXIT_INTERRUPTED : code;
            writeExitCode(code);
            mainDone.countDown();
        }
        return code;
    }

    private void onSignal() {
        if (stopping) {
            return;
        }
        interrupted = true;
        stopping = true;
        System.out.println("\nbench: interrupted, finishing the call in flight, then cleaning up");
        try {
            mainDone.await(120, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        resources.closeAll();
        writeExitCode(PodStartDemo.EXIT_INTERRUPTED);
        Runtime.getRuntime().halt(PodStartDemo.EXIT_INTERRUPTED);
    }

    private void measure(int[] sizes, int runs) throws IOException {
        HostTools.requireAll();
        Path launcher = ShimInstall.launcher();
        System.out.println("== where");
        HostFacts.describe(launcher).forEach(l -> System.out.println("  " + l));
        System.out.println("== setup");
        PodmanService podman = resources.own(PodmanService.start(TestEnvironment.logDir()));
        LocalRegistry registry = resources.own(LocalRegistry.start(podman, TestEnvironment.workDir()));
        TestImages images = TestImages.buildAndPush(registry, TestEnvironment.workDir());
        BenchImage bench = BenchImage.buildAndPush(registry);
        PrivateContainerd containerd = resources.own(PrivateContainerd.start("bench", Handler.RESTORE_TTRPC, registry.host(), images.pause()));
        resources.own(() -> PodStartDemo.stopDaemon(containerd));
        Path archives = Files.createTempDirectory(Path.of("/tmp"), "restore-bench-");
        resources.own(() -> deleteTree(archives));
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(bench.ref());
        System.out.printf("  containerd in %s, image %s, archives in %s%n", containerd.dir(), bench.ref(), archives);

        List<Row> rows = new ArrayList<>();
        for (int mib : sizes) {
            checkNotStopping();
            rows.add(measureSize(containerd, bench, archives, mib, runs));
        }
        System.out.printf("== result: median of %d run%s per cell, page cache dropped before each restore, %s%n",
                runs, runs == 1 ? "" : "s", Instant.now().truncatedTo(ChronoUnit.SECONDS));
        table(rows).forEach(l -> System.out.println("  " + l));
        System.out.println("  create+start = CreateContainer + StartContainer; visible = CreateContainer .. first tick in the new log;"
                + " ratio = restore-shim / stock");
    }

    private Row measureSize(PrivateContainerd containerd, BenchImage bench, Path archives, int mib, int runs)
            throws IOException {
        System.out.printf("== %d MiB%n", mib);
        RestoreTrial source = RestoreTrial.pod(containerd, "src-" + mib, RUNC, Map.of());
        Path archive = archives.resolve("bench-" + mib + ".tar");
        try {
            source.create(bench.ref(), mib);
            source.start();
            source.awaitLog(s -> s.contains(BenchImage.FILLED) && s.contains("bench: tick 2 "), Duration.ofMinutes(5));
            long before = RestoreTrial.lastTick(Files.readString(source.log()));
            long c0 = System.nanoTime();
            containerd.cri().runtime(Duration.ofMinutes(20)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                    .setContainerId(source.containerId()).setLocation(archive.toString()).build());
            System.out.printf("  checkpoint: %.0f ms, archive %d MiB, last tick before the call %d"
                    + " (the source keeps running; a restore continues after it)%n", (System.nanoTime() - c0) / 1e6,
                    Files.size(archive) >> 20, before);
        } finally {
            source.remove();
        }
        Side stock = new Side("stock");
        Side shim = new Side("restore-shim");
        try {
            for (int run = 1; run <= runs && (stock.error == null || shim.error == null); run++) {
                String suffix = mib + "-" + run;
                checkNotStopping();
                attempt(stock, () -> trial(containerd, "stock-" + suffix, RUNC, Map.of(), archive.toString(), mib));
                checkNotStopping();
                attempt(shim, () -> trial(containerd, "shim-" + suffix, RESTORE, Map.of(ANNOTATION, archive.toString()),
                        bench.ref(), mib));
                System.out.printf("  run %d/%d: %s; %s%n", run, runs, stock.describe(), shim.describe());
            }
            List<String> errors = Stream.of(stock, shim).filter(side -> side.error != null)
                    .map(side -> side.name + ": " + side.error).toList();
            errors.forEach(e -> System.out.println("  FAILED " + e));
            return new Row(mib, Files.size(archive), stock.timings, shim.timings, errors);
        } finally {
            Files.deleteIfExists(archive);
        }
    }

    private interface Trial {
        RestoreTrial.Timing run() throws IOException;
    }

    /** Runs one trial of {@code side} unless it already failed; a CRI or restore failure is kept as its error. */
    private static void attempt(Side side, Trial trial) throws IOException {
        if (side.error != null) {
            return;
        }
        try {
            side.timings.add(trial.run());
        } catch (io.grpc.StatusRuntimeException | IllegalStateException e) {
            side.error = e.getMessage();
        }
    }

    private static RestoreTrial.Timing trial(PrivateContainerd containerd, String name, String handler,
            Map<String, String> annotations, String image, int mib) throws IOException {
        RestoreTrial pod = RestoreTrial.pod(containerd, name, handler, annotations);
        try {
            dropCaches();
            return pod.restore(image, mib);
        } finally {
            pod.remove();
        }
    }

    private static void dropCaches() throws IOException {
        HostCommand.of("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches").check();
    }

    private static List<String> table(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        lines.add("| size | archive | stock create+start | restore-shim create+start | ratio | stock visible | restore-shim visible | ratio |");
        lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            String stock = cell(r.stock(), RestoreTrial.Timing::createStartMs);
            String shim = cell(r.shim(), RestoreTrial.Timing::createStartMs);
            String stockSeen = cell(r.stock(), RestoreTrial.Timing::visibleMs);
            String shimSeen = cell(r.shim(), RestoreTrial.Timing::visibleMs);
            lines.add("| %d MiB | %d MiB | %s | %s | %s | %s | %s | %s |".formatted(r.mib(), r.archiveBytes() >> 20,
                    stock, shim, ratio(r.shim(), r.stock(), RestoreTrial.Timing::createStartMs), stockSeen, shimSeen,
                    ratio(r.shim(), r.stock(), RestoreTrial.Timing::visibleMs)));
        }
        for (Row r : rows) {
            r.errors().forEach(e -> lines.add("%d MiB %s".formatted(r.mib(), e)));
        }
        return lines;
    }

    private static String cell(List<RestoreTrial.Timing> timings, java.util.function.ToDoubleFunction<RestoreTrial.Timing> value) {
        return timings.isEmpty() ? "failed" : "%.0f ms".formatted(median(timings, value));
    }

    private static String ratio(List<RestoreTrial.Timing> shim, List<RestoreTrial.Timing> stock,
            java.util.function.ToDoubleFunction<RestoreTrial.Timing> value) {
        return shim.isEmpty() || stock.isEmpty() ? "-" : "%.2fx".formatted(median(shim, value) / median(stock, value));
    }

    private static double median(List<RestoreTrial.Timing> timings, java.util.function.ToDoubleFunction<RestoreTrial.Timing> value) {
        double[] sorted = timings.stream().mapToDouble(value).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private void checkNotStopping() {
        if (stopping) {
            throw new IllegalStateException("stopped");
        }
    }

    private void writeExitCode(int code) {
        try {
            Files.writeString(exitFile, code + "\n");
        } catch (IOException e) {
            System.err.println("bench: cannot write " + exitFile + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
