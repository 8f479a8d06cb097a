package dev.restoreshim.it;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The result table of {@link RestoreImageBench}: medians per size and side, the ratios
 * restore-shim / stock and restore-shim / CRIU, and the three targets with PASS or MISS.
 */
final class RestoreImageTable {
    /** Target: restore-shim's CreateContainer + StartContainer at most this fraction of stock's. */
    static final double STOCK_RATIO_TARGET = 0.3;
    /** Target: restore-shim's CreateContainer + StartContainer at most this multiple of CRIU's own restore time. */
    static final double CRIU_RATIO_TARGET = 1.2;

    private RestoreImageTable() {
    }

    /** One side's runs of one size; after its first failure a side is not tried again. */
    static final class Side {
        final String name;
        final List<RestoreImageTrial.Result> results = new ArrayList<>();
        String error;

        Side(String name) {
            this.name = name;
        }

        String describe() {
            if (error != null) {
                return name + " FAILED";
            }
            RestoreImageTrial.Result r = results.getLast();
            String criu = r.criuMs() < 0 ? "" : ", CRIU %.0f ms (restore.log %s), daemon restore_ms %.0f total_ms %.0f"
                    .formatted(r.criuMs(), bytes(r.criuLogBytes()), r.daemonRestoreMs(), r.daemonTotalMs())
                    + (r.servedMs() < 0 ? "" : ", all pages served in %.0f ms".formatted(r.servedMs()));
            DirtyPages.Folios folios = r.runtime().shimFolios();
            return ("%s pull %.0f ms, create %.0f + start %.0f ms (tick %d visible %.0f ms), written %s (background %s/s),"
                    + " containerd wrote %s, shim wrote %s%s%s").formatted(name, r.pullMs(), r.createMs(), r.startMs(),
                            r.firstTick(), r.visibleMs(), bytes(r.bytesWritten()), bytes(r.backgroundBytesPerSecond()),
                            bytes(r.runtime().containerdBytes()), bytes(r.runtime().shimBytes()),
                            folios == null ? "" : " (dirtied folios: " + folios.describe() + ")", criu);
        }
    }

    /** One size; {@code lazy}: restore-shim with CRIU's lazy pages on ({@link ShimVariant#IMAGE_LAZY}). */
    record Row(int mib, long archiveBytes, Side stock, Side shim, Side lazy) {
    }

    static List<String> lines(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        lines.add("| size | archive | pull stock | pull restore-shim | create+start stock | create+start restore-shim"
                + " | ratio | CRIU restore (restore.log) | daemon restore_ms / total_ms | restore-shim / CRIU | visible stock"
                + " | visible restore-shim | written stock | written restore-shim | background writes | containerd + shim"
                + " wrote stock | containerd + shim wrote restore-shim |");
        lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            List<RestoreImageTrial.Result> st = r.stock().results;
            List<RestoreImageTrial.Result> sh = r.shim().results;
            lines.add("| %d MiB | %d MiB | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s/s | %s | %s |"
                    .formatted(
                    r.mib(), r.archiveBytes() >> 20, ms(st, RestoreImageTrial.Result::pullMs),
                    ms(sh, RestoreImageTrial.Result::pullMs), ms(st, RestoreImageTrial.Result::createStartMs),
                    ms(sh, RestoreImageTrial.Result::createStartMs), stockRatio(r), ms(sh, RestoreImageTrial.Result::criuMs),
                    ms(sh, RestoreImageTrial.Result::daemonRestoreMs), ms(sh, RestoreImageTrial.Result::daemonTotalMs),
                    criuRatio(r), ms(st, RestoreImageTrial.Result::visibleMs), ms(sh, RestoreImageTrial.Result::visibleMs),
                    written(st), written(sh), background(st, sh), runtimeWritten(st), runtimeWritten(sh)));
        }
        lines.add("create+start = CreateContainer + StartContainer; visible = CreateContainer .. first tick of the restored"
                + " app in the new log; ratio = restore-shim / stock; written = bytes written to whole block devices"
                + " from before Create to the tick (after sync), machine-wide, median (min); background writes = what the"
                + " machine wrote in the 1 s before each Create (median over both sides), the noise in that column;"
                + " containerd + shim wrote = write_bytes of containerd + of the pod's shim or node daemon with the runc"
                + " and CRIU it reaped (/proc/<pid>/io: disk-backed pages dirtied, deleted files included, tmpfs not),"
                + " same window, medians");
        lines.addAll(lazyLines(rows));
        lines.add("targets:");
        for (Row r : rows) {
            List<RestoreImageTrial.Result> st = r.stock().results;
            List<RestoreImageTrial.Result> sh = r.shim().results;
            if (st.isEmpty() || sh.isEmpty()) {
                lines.add("  %d MiB: no result (a side failed)".formatted(r.mib()));
                continue;
            }
            double vsStock = median(sh, RestoreImageTrial.Result::createStartMs)
                    / median(st, RestoreImageTrial.Result::createStartMs);
            double vsCriu = median(sh, RestoreImageTrial.Result::createStartMs) / median(sh, RestoreImageTrial.Result::criuMs);
            double writtenBytes = median(sh, r2 -> r2.runtime().shimBytes());
            lines.add("  %d MiB: create+start %.2fx stock (<= %.1fx) %s; %.2fx CRIU's own time (<= %.1fx) %s;"
                    .formatted(r.mib(), vsStock, STOCK_RATIO_TARGET, verdict(vsStock <= STOCK_RATIO_TARGET), vsCriu,
                            CRIU_RATIO_TARGET, verdict(vsCriu <= CRIU_RATIO_TARGET))
                    + " restore-shim (daemon, runc, CRIU) %s".formatted(writtenVerdict(sh, writtenBytes)));
            List<RestoreImageTrial.Result> lz = r.lazy().results;
            if (!lz.isEmpty()) {
                double lazyVsStock = median(lz, RestoreImageTrial.Result::createStartMs)
                        / median(st, RestoreImageTrial.Result::createStartMs);
                double lazyWritten = median(lz, r2 -> r2.runtime().shimBytes());
                lines.add("  %d MiB lazy: create+start %.2fx stock (<= %.1fx) %s; restore-shim until served %s"
                        .formatted(r.mib(), lazyVsStock, STOCK_RATIO_TARGET, verdict(lazyVsStock <= STOCK_RATIO_TARGET),
                                writtenVerdict(lz, lazyWritten)));
            }
        }
        for (Row r : rows) {
            for (Side side : List.of(r.stock(), r.shim(), r.lazy())) {
                if (side.error != null) {
                    lines.add("%d MiB %s FAILED: %s".formatted(r.mib(), side.name, side.error));
                }
            }
        }
        return lines;
    }

    /** The lazy side's own table: its create+start against stock's, and when the last page was served. */
    private static List<String> lazyLines(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("| size | create+start restore-shim lazy | ratio to stock | CRIU restore (restore.log) | daemon restore_ms"
                + " / total_ms | visible | all pages served (lazy-pages daemon) | written until served |");
        lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            List<RestoreImageTrial.Result> st = r.stock().results;
            List<RestoreImageTrial.Result> lz = r.lazy().results;
            String ratio = st.isEmpty() || lz.isEmpty() ? "-" : "%.2fx".formatted(
                    median(lz, RestoreImageTrial.Result::createStartMs) / median(st, RestoreImageTrial.Result::createStartMs));
            lines.add("| %d MiB | %s | %s | %s | %s / %s | %s | %s | %s |".formatted(r.mib(),
                    ms(lz, RestoreImageTrial.Result::createStartMs), ratio, ms(lz, RestoreImageTrial.Result::criuMs),
                    ms(lz, RestoreImageTrial.Result::daemonRestoreMs), ms(lz, RestoreImageTrial.Result::daemonTotalMs),
                    ms(lz, RestoreImageTrial.Result::visibleMs), ms(lz, RestoreImageTrial.Result::servedMs), written(lz)));
        }
        lines.add("lazy = handler restore-image-lazy ([criu.defaults] lazy-pages = true): the pages are served on demand"
                + " from the read-only restore-images mount; all pages served = the lazy-pages daemon's time from ready to"
                + " exit (event=lazy_pages_served); written counts until then");
        return lines;
    }

    /**
     * The "0 bytes written" target: judged on the folios of file data restore-shim's processes
     * dirtied ({@link DirtyPages}, summed over the runs) when they were traced, beside their
     * {@code write_bytes} (median), which also counts file system metadata; on {@code write_bytes}
     * alone otherwise.
     */
    private static String writtenVerdict(List<RestoreImageTrial.Result> results, double writtenBytes) {
        List<DirtyPages.Folios> folios = results.stream().map(r -> r.runtime().shimFolios()).toList();
        if (folios.isEmpty() || folios.contains(null)) {
            return "wrote %s (0) %s".formatted(bytes((long) writtenBytes), verdict(writtenBytes == 0));
        }
        long data = folios.stream().mapToLong(DirtyPages.Folios::data).sum();
        long metadata = folios.stream().mapToLong(DirtyPages.Folios::metadata).sum();
        boolean lost = folios.stream().anyMatch(DirtyPages.Folios::lost);
        return "wrote %s (write_bytes), dirtied file data folios %d (0) %s, fs metadata folios %d in %d runs".formatted(
                bytes((long) writtenBytes), data, lost ? "n/a (events lost)" : verdict(data == 0), metadata,
                folios.size());
    }

    private static String verdict(boolean pass) {
        return pass ? "PASS" : "MISS";
    }

    private static String stockRatio(Row r) {
        List<RestoreImageTrial.Result> st = r.stock().results;
        List<RestoreImageTrial.Result> sh = r.shim().results;
        return st.isEmpty() || sh.isEmpty() ? "-" : "%.2fx".formatted(median(sh, RestoreImageTrial.Result::createStartMs)
                / median(st, RestoreImageTrial.Result::createStartMs));
    }

    private static String criuRatio(Row r) {
        List<RestoreImageTrial.Result> sh = r.shim().results;
        return sh.isEmpty() ? "-" : "%.2fx".formatted(median(sh, RestoreImageTrial.Result::createStartMs)
                / median(sh, RestoreImageTrial.Result::criuMs));
    }

    private static String ms(List<RestoreImageTrial.Result> results, ToDoubleFunction<RestoreImageTrial.Result> value) {
        return results.isEmpty() ? "failed" : "%.0f ms".formatted(median(results, value));
    }

    private static String written(List<RestoreImageTrial.Result> results) {
        if (results.isEmpty()) {
            return "failed";
        }
        long min = results.stream().mapToLong(RestoreImageTrial.Result::bytesWritten).min().orElseThrow();
        return "%s (%s)".formatted(bytes((long) median(results, r -> r.bytesWritten())), bytes(min));
    }

    private static String runtimeWritten(List<RestoreImageTrial.Result> results) {
        if (results.isEmpty()) {
            return "failed";
        }
        return "%s + %s".formatted(bytes((long) median(results, r -> r.runtime().containerdBytes())),
                bytes((long) median(results, r -> r.runtime().shimBytes())));
    }

    private static String background(List<RestoreImageTrial.Result> stock, List<RestoreImageTrial.Result> shim) {
        List<RestoreImageTrial.Result> all = new ArrayList<>(stock);
        all.addAll(shim);
        return all.isEmpty() ? "-" : bytes((long) median(all, r -> r.backgroundBytesPerSecond()));
    }

    static String bytes(long n) {
        if (n < 1024 * 1024) {
            return "%d KiB".formatted(n >> 10);
        }
        return "%.1f MiB".formatted(n / 1048576.0);
    }

    static double median(List<RestoreImageTrial.Result> results, ToDoubleFunction<RestoreImageTrial.Result> value) {
        double[] sorted = results.stream().mapToDouble(value).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
