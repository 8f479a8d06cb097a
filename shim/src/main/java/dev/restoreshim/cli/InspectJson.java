package dev.restoreshim.cli;

import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.ContainerInfo;
import dev.restoreshim.archive.CriuImageFile;
import dev.restoreshim.archive.DeltaSummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link CheckpointSummary} as one JSON object for {@code restore-shim inspect --json}.
 * Sizes are bytes; counts that were not taken are -1. Written with {@link JsonOut}, not a mapper,
 * to keep {@code inspect} fast to start.
 */
final class InspectJson {
    private InspectJson() {
    }

    static String render(CheckpointSummary s) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("archive", s.archive());
        o.put("archive_bytes", s.archiveSize());
        o.put("compression", lower(s.compression()));
        o.put("engine", lower(s.flavour()));
        o.put("entries", s.entryCount());
        o.put("container", container(s.container()));
        o.put("criu_version", s.criuVersion());
        o.put("image_format_version", s.imageFormatVersion());
        if (s.dumpStats() != null) {
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("freezing_time_us", s.dumpStats().freezingTimeUs());
            stats.put("frozen_time_us", s.dumpStats().frozenTimeUs());
            stats.put("memdump_time_us", s.dumpStats().memdumpTimeUs());
            stats.put("memwrite_time_us", s.dumpStats().memwriteTimeUs());
            stats.put("pages_scanned", s.dumpStats().pagesScanned());
            stats.put("pages_written", s.dumpStats().pagesWritten());
            o.put("dump_stats", stats);
        } else {
            o.put("dump_stats", null);
        }
        o.put("memory_bytes", s.pagesBytes());
        DeltaSummary d = s.delta();
        Map<String, Object> delta = new LinkedHashMap<>();
        delta.put("present", d.present());
        delta.put("format", lower(d.format()));
        delta.put("compression", lower(d.compression()));
        delta.put("bytes", d.size());
        delta.put("entries", d.fileCount());
        delta.put("content_bytes", d.contentBytes());
        delta.put("deletions", d.deletions());
        o.put("delta", delta);
        o.put("criu_images_bytes", s.imagesBytes());
        List<Object> images = new ArrayList<>();
        for (CriuImageFile i : s.images()) {
            Map<String, Object> image = new LinkedHashMap<>();
            image.put("name", i.name());
            image.put("bytes", i.size());
            images.add(image);
        }
        o.put("criu_images", images);
        o.put("warnings", s.warnings());
        return JsonOut.write(o);
    }

    private static Map<String, Object> container(ContainerInfo c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("name", c.name());
        m.put("display_name", c.displayName());
        m.put("rootfs_image", c.rootfsImage());
        m.put("rootfs_image_ref", c.rootfsImageRef());
        m.put("rootfs_image_name", c.rootfsImageName());
        m.put("runtime", c.runtime());
        m.put("created", c.createdTime());
        m.put("checkpointed", c.checkpointedTime());
        m.put("cwd", c.cwd());
        m.put("args", c.args());
        m.put("env", c.env());
        m.put("annotations", c.annotations());
        return m;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
