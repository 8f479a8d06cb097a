package dev.restoreshim.cli;

import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.ContainerInfo;
import dev.restoreshim.archive.CriuImageFile;
import dev.restoreshim.archive.DeltaSummary;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Renders a {@link CheckpointSummary} as one JSON object for {@code restore-shim inspect --json}.
 * Sizes are bytes; counts that were not taken are -1.
 */
final class InspectJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private InspectJson() {
    }

    static String render(CheckpointSummary s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("archive", s.archive());
        o.put("archive_bytes", s.archiveSize());
        o.put("compression", s.compression().name().toLowerCase());
        o.put("engine", s.flavour().name().toLowerCase());
        o.put("entries", s.entryCount());
        ContainerInfo c = s.container();
        ObjectNode container = o.putObject("container");
        container.put("id", c.id()).put("name", c.name()).put("display_name", c.displayName()).put("rootfs_image", c.rootfsImage())
                .put("rootfs_image_ref", c.rootfsImageRef()).put("rootfs_image_name", c.rootfsImageName())
                .put("runtime", c.runtime()).put("created", c.createdTime()).put("checkpointed", c.checkpointedTime())
                .put("cwd", c.cwd());
        c.args().forEach(container.putArray("args")::add);
        c.env().forEach(container.putArray("env")::add);
        ObjectNode annotations = container.putObject("annotations");
        c.annotations().forEach(annotations::put);
        o.put("criu_version", s.criuVersion());
        o.put("image_format_version", s.imageFormatVersion());
        o.put("memory_bytes", s.pagesBytes());
        DeltaSummary d = s.delta();
        o.putObject("delta").put("present", d.present()).put("format", d.format().name().toLowerCase())
                .put("compression", d.compression().name().toLowerCase()).put("bytes", d.size())
                .put("entries", d.fileCount()).put("content_bytes", d.contentBytes()).put("deletions", d.deletions());
        o.put("criu_images_bytes", s.imagesBytes());
        ArrayNode images = o.putArray("criu_images");
        for (CriuImageFile i : s.images()) {
            images.addObject().put("name", i.name()).put("bytes", i.size());
        }
        s.warnings().forEach(o.putArray("warnings")::add);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
    }
}
