package dev.restoreshim.it;

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
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * The restore benchmark ({@code deploy/bench-restore.sh} runs it through Maven): for each memory
 * size, the bench app runs on the stock runc handler, is checkpointed through CRI
 * {@code CheckpointContainer} to an archive in /tmp, and is then restored into new pods, page cache
 * dropped before each restore: (a) stock, containerd's own CRI restore (CreateContainer with
 * image = archive path, handler runc); (b) restore-shim (CreateContainer with the bench image and
 * the pod annotation {@code restore-shim.dev/checkpoint=<archive>}) on three handlers, each its own
 * node daemon: {@code restore} (the default config: EROFS in place), {@code restore-tmpfs}
 * and {@code restore-lazy} (EROFS in place with CRIU's lazy pages), and with
 * {@code BENCH_READAHEAD=1} in the environment a fourth, {@code restore-ra} (EROFS with readahead
 * of the page images), see {@link ShimVariant}. Each is timed from CreateContainer through
 * StartContainer, and until the counter shows in the new log; bytes written to disk
 * ({@link DiskWrites}), what containerd and the pod's shim or node daemon wrote
 * ({@link RuntimeWrites}) and the daemon's tmpfs bytes are recorded per restore, and for the lazy
 * side the time the lazy-pages daemon took to serve every page (the next restore starts only
 * after that). On the largest archive, {@code restore-shim inspect} is timed against
 * {@code checkpointctl show} (cold cache, {@code bench.runs} times each, medians), and the chart
 * {@code bench.chart} (default docs/restore-bench.png) is drawn.
 *
 * <p>Everything it starts is removed at the end, also on failure, SIGINT or SIGTERM.
 * System properties: {@code bench.sizes} (MiB, default "64 512"), {@code bench.runs} (default 3).
 * Writes its pid to {@code target/demo.pid} and its exit code to {@code target/demo.exit}.
 */
public final class RestoreBench {

    private static final String RUNC = Handler.RUNC.criName();
    private static final String RESTORE = Handler.RESTORE_TTRPC.criName();
    private static final String ANNOTATION = PrivateContainerd.ANNOTATION_PREFIX + "checkpoint";

    private final DemoRun demo = new DemoRun("bench", "== cleanup: archives, restore-shim daemon, containerd, registry, Podman service",
            "the call in flight", Duration.ofSeconds(120));
    private final DemoResources resources = demo.resources();

    /** One size's result: the runs of each side (in {@code sides} order), and the errors that ended a side's runs. */
    private record Row(int mib, long archiveBytes, List<Side> sides, List<String> errors) {
    }

    /**
     * One side of the comparison: stock containerd (handler runc, image = archive path) or a
     * restore-shim handler (the bench image and the annotation); {@code stateDir} is the
     * restore-shim state dir whose daemon log gives the tmpfs bytes, null for stock.
     */
    private record SideSpec(String label, String handler, Path stateDir, boolean lazy) {
        SideSpec(String label, String handler, Path stateDir) {
            this(label, handler, stateDir, false);
        }

        boolean stock() {
            return stateDir == null;
        }
    }

    /** A side's runs; after its first failure a side is not tried again for this size. */
    private static final class Side {
        final SideSpec spec;
        final List<RestoreTrial.Timing> timings = new ArrayList<>();
        String error;

        Side(SideSpec spec) {
            this.spec = spec;
        }

        String describe() {
            if (error != null) {
                return spec.label() + " FAILED";
            }
            RestoreTrial.Timing t = timings.getLast();
            DirtyPages.Folios folios = t.runtime().shimFolios();
            return "%s %.0f+%.0f ms (tick %d, visible %.0f ms, %swrote %s, containerd wrote %s, shim wrote %s%s, tmpfs %s)"
                    .formatted(spec.label(), t.createMs(), t.startMs(), t.firstTick(), t.visibleMs(), t.servedMs() < 0
                            ? "" : "all pages served after " + t.servedMs() + " ms, ", mib(t.writtenBytes()),
                            mib(t.runtime().containerdBytes()), mib(t.runtime().shimBytes()),
                            folios == null ? "" : " (dirtied folios: " + folios.describe() + ")",
                            t.tmpfsBytes() < 0 ? "-" : mib(t.tmpfsBytes()));
        }
    }

    public static void main(String[] args) {
        RestoreBench bench = new RestoreBench();
        System.exit(bench.demo.run(() -> bench.measure(BenchSetup.sizes(), BenchSetup.runs())));
    }

    private void measure(int[] sizes, int runs) throws IOException {
        HostTools.requireAll();
        Path launcher = ShimInstall.launcher();
        System.out.println("== where");
        HostFacts.describe(launcher).forEach(l -> System.out.println("  " + l));
        System.out.println("== setup");
        BenchSetup setup = BenchSetup.start(resources);
        LocalRegistry registry = setup.registry();
        TestImages images = setup.images();
        BenchImage bench = setup.bench();
        List<ShimVariant> variants = "1".equals(System.getenv("BENCH_READAHEAD"))
                ? List.of(ShimVariant.TMPFS, ShimVariant.EROFS_LAZY, ShimVariant.EROFS_READAHEAD)
                : List.of(ShimVariant.TMPFS, ShimVariant.EROFS_LAZY);
        PrivateContainerd containerd = resources.own(PrivateContainerd.start("bench", Handler.RESTORE_TTRPC,
                registry.host(), images.pause(), dir -> variants.stream().map(v -> v.install(dir, launcher))
                        .reduce("", String::concat)));
        resources.own(() -> PodStartDemo.stopDaemon(containerd));
        variants.forEach(v -> resources.own(() -> ShimVariant.stopDaemons(v.stateDir(containerd.dir()))));
        List<SideSpec> sides = new ArrayList<>();
        sides.add(new SideSpec("stock", RUNC, null));
        sides.add(new SideSpec("restore-shim EROFS", RESTORE, containerd.shimState()));
        variants.forEach(v -> sides.add(new SideSpec(v.label(), v.criName(), v.stateDir(containerd.dir()),
                v == ShimVariant.EROFS_LAZY)));
        Path archives = Files.createTempDirectory(Path.of("/tmp"), "restore-bench-");
        resources.own(() -> deleteTree(archives));
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(bench.ref());
        System.out.printf("  containerd in %s, image %s, archives in %s%n", containerd.dir(), bench.ref(), archives);

        List<Row> rows = new ArrayList<>();
        int largest = Arrays.stream(sizes).max().orElseThrow();
        String inspect = "";
        for (int mib : sizes) {
            demo.checkNotStopping();
            Path archive = archives.resolve("bench-" + mib + ".tar");
            try {
                rows.add(measureSize(containerd, bench, archive, mib, runs, sides));
                if (mib == largest) {
                    inspect = inspectVsCheckpointctl(archive, runs);
                }
            } finally {
                Files.deleteIfExists(archive);
            }
        }
        System.out.printf("== result: median of %d run%s per cell, page cache dropped before each restore, %s%n",
                runs, runs == 1 ? "" : "s", Instant.now().truncatedTo(ChronoUnit.SECONDS));
        System.out.println("  create+start = CreateContainer + StartContainer (ratio: to stock)");
        table(rows, RestoreTrial.Timing::createStartMs).forEach(l -> System.out.println("  " + l));
        System.out.println("  visible = CreateContainer .. first tick in the new log (ratio: to stock)");
        table(rows, RestoreTrial.Timing::visibleMs).forEach(l -> System.out.println("  " + l));
        System.out.println("  written = bytes written to real disks (/proc/diskstats, host-wide, sync before reading) from"
                + " CreateContainer to the visible tick; containerd wrote, shim wrote = write_bytes of containerd, and of the"
                + " pod's shim or node daemon with the runc and CRIU it reaped (/proc/<pid>/io: disk-backed pages dirtied,"
                + " deleted files included, tmpfs not), same window; tmpfs = the daemon's staged_bytes; median");
        bytesTable(rows).forEach(l -> System.out.println("  " + l));
        System.out.println("  lazy: served = the lazy-pages daemon's time from ready until every page was served"
                + " (event=lazy_pages_served ms=); median (runs)");
        servedTable(rows).forEach(l -> System.out.println("  " + l));
        dirtiedLines(rows).forEach(l -> System.out.println("  " + l));
        rows.forEach(r -> r.errors().forEach(e -> System.out.println("  FAILED %d MiB %s".formatted(r.mib(), e))));
        System.out.println("  " + inspect);
        chart(rows, runs);
    }

    private Row measureSize(PrivateContainerd containerd, BenchImage bench, Path archive, int mib, int runs,
            List<SideSpec> specs) throws IOException {
        System.out.printf("== %d MiB%n", mib);
        RestoreTrial.checkpointBenchApp(containerd, bench, archive, mib);
        List<Side> sides = specs.stream().map(Side::new).toList();
        for (int run = 1; run <= runs && sides.stream().anyMatch(side -> side.error == null); run++) {
            for (Side side : sides) {
                demo.checkNotStopping();
                String name = (side.spec.stock() ? "stock" : side.spec.handler()) + "-" + mib + "-" + run;
                attempt(side, () -> side.spec.stock()
                        ? trial(containerd, name, side.spec, Map.of(), archive.toString(), mib)
                        : trial(containerd, name, side.spec, Map.of(ANNOTATION, archive.toString()), bench.ref(), mib));
            }
            System.out.printf("  run %d/%d: %s%n", run, runs,
                    String.join("; ", sides.stream().map(Side::describe).toList()));
        }
        List<String> errors = sides.stream().filter(side -> side.error != null)
                .map(side -> side.spec.label() + ": " + side.error).toList();
        errors.forEach(e -> System.out.println("  FAILED " + e));
        return new Row(mib, Files.size(archive), sides, errors);
    }

    /**
     * {@code restore-shim inspect} and {@code checkpointctl show} on {@code archive}, {@code runs}
     * times each, alternating, page cache dropped before each; medians compared.
     */
    private static String inspectVsCheckpointctl(Path archive, int runs) throws IOException {
        Path cli = ShimInstall.prefix().resolve("bin").resolve("restore-shim");
        List<Double> inspect = new ArrayList<>();
        List<Double> ctl = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            inspect.add(coldMs(HostCommand.of(cli.toString(), "inspect", archive.toString())
                    .withTimeout(Duration.ofMinutes(2))));
            ctl.add(coldMs(HostCommand.of("checkpointctl", "show", archive.toString())
                    .withTimeout(Duration.ofMinutes(5))));
        }
        double inspectMs = medianOf(inspect.stream().mapToDouble(Double::doubleValue).toArray());
        double ctlMs = medianOf(ctl.stream().mapToDouble(Double::doubleValue).toArray());
        return ("inspect vs checkpointctl on the %d MiB archive, cold cache, median of %d: restore-shim inspect %.0f ms"
                + " (%s; a JVM start included), checkpointctl show %.0f ms (%s): %.1fx faster").formatted(
                Files.size(archive) >> 20, runs, inspectMs, joinMs(inspect), ctlMs, joinMs(ctl), ctlMs / inspectMs);
    }

    /** Wall-clock time of {@code command}, run to success after dropping the page cache. */
    private static double coldMs(HostCommand command) throws IOException {
        dropCaches();
        long t0 = System.nanoTime();
        command.check();
        return (System.nanoTime() - t0) / 1e6;
    }

    private static String joinMs(List<Double> values) {
        return String.join("/", values.stream().map(v -> "%.0f".formatted(v)).toList());
    }

    /** docs/restore-bench.png (or {@code bench.chart}): median visible time (CreateContainer to the first tick) per size and side. */
    private static void chart(List<Row> rows, int runs) {
        Path png = Path.of(System.getProperty("bench.chart",
                TestEnvironment.repoDir().resolve("docs/restore-bench.png").toString()));
        List<RestoreChart.Series> series = new ArrayList<>();
        for (int i = 0; i < rows.getFirst().sides().size(); i++) {
            int side = i;
            series.add(new RestoreChart.Series(rows.getFirst().sides().get(i).spec.label(), rows.stream()
                    .map(r -> r.sides().get(side).timings)
                    .map(t -> t.isEmpty() ? Double.NaN : median(t, RestoreTrial.Timing::visibleMs)).toList()));
        }
        try {
            RestoreChart.write(png, rows.stream().map(Row::mib).toList(), series,
                    "median of " + runs + ", page cache dropped before each restore");
            System.out.println("  chart: " + png);
        } catch (IOException | RuntimeException e) {
            System.out.println("  chart: FAILED " + png + ": " + e);
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

    private static RestoreTrial.Timing trial(PrivateContainerd containerd, String name, SideSpec side,
            Map<String, String> annotations, String image, int mib) throws IOException {
        RestoreTrial pod = RestoreTrial.pod(containerd, name, side.handler(), annotations);
        try {
            dropCaches();
            RestoreTrial.Timing t = pod.restore(image, mib);
            if (side.lazy()) { // the images stay until every page is served; the restored line comes then
                t = t.withServed(ShimVariant.awaitServedMs(side.stateDir(), pod.containerId(), Duration.ofMinutes(10)));
            }
            if (side.stock()) {
                return t;
            }
            long staged = ShimVariant.stagedBytes(side.stateDir(), pod.containerId());
            for (int i = 0; staged < 0 && side.lazy() && i < 40; i++) { // event=restored follows lazy_pages_served
                Thread.sleep(50);
                staged = ShimVariant.stagedBytes(side.stateDir(), pod.containerId());
            }
            return t.withTmpfs(staged);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the lazy pages of " + name);
        } finally {
            pod.remove();
        }
    }

    private static void dropCaches() throws IOException {
        HostCommand.of("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches").check();
    }

    private static List<String> table(List<Row> rows, ToDoubleFunction<RestoreTrial.Timing> value) {
        List<Side> head = rows.getFirst().sides();
        StringBuilder h = new StringBuilder("| size | archive | ").append(head.getFirst().spec.label()).append(" |");
        StringBuilder rule = new StringBuilder("|---:|---:|---:|");
        for (Side side : head.subList(1, head.size())) {
            h.append(' ').append(side.spec.label()).append(" | ratio |");
            rule.append("---:|---:|");
        }
        List<String> lines = new ArrayList<>(List.of(h.toString(), rule.toString()));
        for (Row r : rows) {
            List<RestoreTrial.Timing> stock = r.sides().getFirst().timings;
            StringBuilder l = new StringBuilder("| %d MiB | %d MiB | %s |".formatted(r.mib(), r.archiveBytes() >> 20,
                    cell(stock, value)));
            for (Side side : r.sides().subList(1, r.sides().size())) {
                l.append(" %s | %s |".formatted(cell(side.timings, value), ratio(side.timings, stock, value)));
            }
            lines.add(l.toString());
        }
        return lines;
    }

    private static List<String> servedTable(List<Row> rows) {
        List<String> lines = new ArrayList<>(List.of("| size | side | visible | served | visible + served |",
                "|---:|---|---:|---:|---:|"));
        for (Row r : rows) {
            for (Side side : r.sides()) {
                if (side.spec.lazy()) {
                    lines.add("| %d MiB | %s | %s | %s | %s |".formatted(r.mib(), side.spec.label(),
                            cell(side.timings, RestoreTrial.Timing::visibleMs), cell(side.timings, RestoreTrial.Timing::servedMs)
                                    + " (" + String.join("/", side.timings.stream().map(t -> t.servedMs() + "").toList()) + ")",
                            cell(side.timings, t -> t.visibleMs() + t.servedMs())));
                }
            }
        }
        return lines;
    }

    /**
     * Issue 3's "0 bytes written for a cached delta", judged per restore-shim side on the runs
     * after the first (which builds the delta and the EROFS metadata into the cache): the folios
     * of file data the node daemon and every process it started dirtied ({@link DirtyPages}), with
     * the file system metadata folios beside them.
     */
    private static List<String> dirtiedLines(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        lines.add("dirtied = folios of disk-backed files the node daemon and its children (runc, CRIU, the restored task)"
                + " dirtied from CreateContainer to the visible tick (tracefs writeback_dirty_folio, process tree from"
                + " sched_process_fork): file data / file system metadata (the block device's own inode); per run");
        for (Row r : rows) {
            for (Side side : r.sides()) {
                List<DirtyPages.Folios> all = side.timings.stream().map(t -> t.runtime().shimFolios()).toList();
                if (side.spec.stock() || all.isEmpty()) {
                    continue;
                }
                if (all.contains(null)) {
                    lines.add("  %d MiB %s: not traced (no tracefs)".formatted(r.mib(), side.spec.label()));
                    continue;
                }
                List<DirtyPages.Folios> cached = all.subList(1, all.size());
                long data = cached.stream().mapToLong(DirtyPages.Folios::data).sum();
                boolean lost = cached.stream().anyMatch(DirtyPages.Folios::lost);
                lines.add("  %d MiB %s: %s; cached delta (runs 2-%d): file data folios %d (0) %s".formatted(r.mib(),
                        side.spec.label(), String.join(", ", all.stream().map(f -> f.data() + " / " + f.metadata()
                                + (f.lost() ? " (events lost)" : "")).toList()), all.size(), data,
                        cached.isEmpty() || lost ? "n/a" : data == 0 ? "PASS" : "MISS"));
            }
        }
        return lines;
    }

    private static List<String> bytesTable(List<Row> rows) {
        List<Side> head = rows.getFirst().sides();
        StringBuilder h = new StringBuilder("| size |");
        StringBuilder rule = new StringBuilder("|---:|");
        for (Side side : head) {
            h.append(' ').append(side.spec.label()).append(" written |");
            rule.append("---:|");
        }
        for (Side side : head) {
            h.append(' ').append(side.spec.label()).append(" containerd wrote |");
            rule.append("---:|");
        }
        for (Side side : head) {
            h.append(' ').append(side.spec.label()).append(" shim wrote |");
            rule.append("---:|");
        }
        for (Side side : head.subList(1, head.size())) {
            h.append(' ').append(side.spec.label()).append(" tmpfs |");
            rule.append("---:|");
        }
        List<String> lines = new ArrayList<>(List.of(h.toString(), rule.toString()));
        for (Row r : rows) {
            StringBuilder l = new StringBuilder("| %d MiB |".formatted(r.mib()));
            for (Side side : r.sides()) {
                l.append(' ').append(bytesCell(side.timings, RestoreTrial.Timing::writtenBytes)).append(" |");
            }
            for (Side side : r.sides()) {
                l.append(' ').append(bytesCell(side.timings, t -> t.runtime().containerdBytes())).append(" |");
            }
            for (Side side : r.sides()) {
                l.append(' ').append(bytesCell(side.timings, t -> t.runtime().shimBytes())).append(" |");
            }
            for (Side side : r.sides().subList(1, r.sides().size())) {
                l.append(' ').append(bytesCell(side.timings, RestoreTrial.Timing::tmpfsBytes)).append(" |");
            }
            lines.add(l.toString());
        }
        return lines;
    }

    private static String bytesCell(List<RestoreTrial.Timing> timings, java.util.function.ToLongFunction<RestoreTrial.Timing> value) {
        if (timings.isEmpty()) {
            return "failed";
        }
        String all = String.join("/", timings.stream().map(t -> mib(value.applyAsLong(t))).toList());
        return mib((long) median(timings, t -> value.applyAsLong(t))) + " (" + all + ")";
    }

    private static String mib(long bytes) {
        if (bytes < 0) {
            return "?";
        }
        return bytes < (1 << 20) ? "%d KiB".formatted((bytes + 1023) / 1024) : "%.0f MiB".formatted(bytes / 1048576.0);
    }

    private static String cell(List<RestoreTrial.Timing> timings, java.util.function.ToDoubleFunction<RestoreTrial.Timing> value) {
        return timings.isEmpty() ? "failed" : "%.0f ms".formatted(median(timings, value));
    }

    private static String ratio(List<RestoreTrial.Timing> shim, List<RestoreTrial.Timing> stock,
            java.util.function.ToDoubleFunction<RestoreTrial.Timing> value) {
        return shim.isEmpty() || stock.isEmpty() ? "-" : "%.2fx".formatted(median(shim, value) / median(stock, value));
    }

    private static double median(List<RestoreTrial.Timing> timings, java.util.function.ToDoubleFunction<RestoreTrial.Timing> value) {
        return medianOf(timings.stream().mapToDouble(value).toArray());
    }

    private static double medianOf(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
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
