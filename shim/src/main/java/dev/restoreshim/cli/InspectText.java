package dev.restoreshim.cli;

import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.Compression;
import dev.restoreshim.archive.ContainerInfo;
import dev.restoreshim.archive.CriuImageFile;
import dev.restoreshim.archive.DeltaSummary;

/** Renders a {@link CheckpointSummary} for people: one {@code label  value} line per fact, then the CRIU images. */
final class InspectText {
    private InspectText() {
    }

    static String render(CheckpointSummary s) {
        StringBuilder b = new StringBuilder();
        ContainerInfo c = s.container();
        line(b, "archive", s.archive());
        line(b, "format", compression(s.compression()) + ", " + size(s.archiveSize()) + ", " + s.entryCount() + " entries");
        line(b, "engine", s.flavour().displayName());
        line(b, "container", container(c));
        line(b, "image", c.rootfsImageName().isEmpty() ? c.rootfsImage() : c.rootfsImageName());
        line(b, "image ref", c.rootfsImageRef().isEmpty() ? c.rootfsImage() : c.rootfsImageRef());
        line(b, "runtime", c.runtime());
        line(b, "created", c.createdTime());
        line(b, "checkpointed", c.checkpointedTime());
        line(b, "command", String.join(" ", c.args()));
        line(b, "cwd", c.cwd());
        line(b, "criu", (s.criuVersion().isEmpty() ? "version unknown" : s.criuVersion())
                + (s.imageFormatVersion() > 0 ? " (image format " + s.imageFormatVersion() + ")" : ""));
        if (s.dumpStats() != null) {
            line(b, "dump", "frozen " + micros(s.dumpStats().frozenTimeUs()) + ", " + s.dumpStats().pagesWritten()
                    + " of " + s.dumpStats().pagesScanned() + " scanned pages written");
        }
        long pagesFiles = s.images().stream().filter(CriuImageFile::isPages).count();
        line(b, "memory", size(s.pagesBytes()) + " in " + pagesFiles + " pages file" + (pagesFiles == 1 ? "" : "s"));
        line(b, "delta", delta(s.delta()));
        line(b, "criu images", s.images().size() + " files, " + size(s.imagesBytes()));
        int width = s.images().stream().mapToInt(i -> i.name().length()).max().orElse(0);
        for (CriuImageFile i : s.images()) {
            b.append("  ").append(i.name()).append(" ".repeat(width - i.name().length() + 2)).append(size(i.size())).append('\n');
        }
        if (!s.warnings().isEmpty()) {
            b.append("warnings\n");
            s.warnings().forEach(w -> b.append("  ").append(w).append('\n'));
        }
        return b.toString();
    }

    private static String container(ContainerInfo c) {
        String name = c.displayName().isEmpty() ? "?" : c.displayName();
        String detail = (c.name().equals(c.displayName()) ? "" : c.name() + ", ") + (c.id().isEmpty() ? "" : "id " + c.id());
        return detail.isEmpty() ? name : name + " (" + detail.replaceFirst(", $", "") + ")";
    }

    private static String delta(DeltaSummary d) {
        if (!d.present()) {
            return d.deletions() > 0 ? "no rootfs-diff.tar; " + d.deletions() + " deleted files" : "none";
        }
        String head = "rootfs-diff.tar " + size(d.size()) + ", " + (d.compression() == Compression.NONE ? "" : compression(d.compression()) + " ")
                + d.format().description();
        if (!d.counted()) {
            return head + "; entries not counted" + (d.compression() != Compression.NONE ? " (--delta-files decompresses it)" : "");
        }
        return head + "; " + d.fileCount() + " entries, " + size(d.contentBytes()) + " of file data, " + d.deletions() + " deletions";
    }

    private static String compression(Compression c) {
        return switch (c) {
            case NONE -> "uncompressed tar";
            case GZIP -> "gzip";
            case ZSTD -> "zstd";
        };
    }

    private static void line(StringBuilder b, String label, String value) {
        if (value == null || value.isEmpty()) {
            return;
        }
        b.append(label).append(" ".repeat(Math.max(1, 14 - label.length()))).append(value).append('\n');
    }

    private static String micros(long us) {
        return us < 1000 ? us + " µs" : us / 1000 + "." + (us % 1000) / 100 + " ms";
    }

    /** Bytes in binary units with one decimal, plus the exact count below 1 KiB. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        long tenths = Math.round(v * 10); // no String.format: Formatter start-up costs more than the scan
        return tenths / 10 + "." + tenths % 10 + " " + units[u];
    }
}
