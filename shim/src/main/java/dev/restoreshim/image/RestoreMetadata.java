package dev.restoreshim.image;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The content of {@code .restore-shim/restore.json} (docs/restore-image.md): what the checkpoint
 * is, which layers it sits on, every CRIU image with its size (and sha256 below 1 MiB), and the
 * CRIU options the restore needs.
 *
 * @param containerName the checkpointed container's name
 * @param created when it was checkpointed (RFC 3339)
 * @param criuVersion CRIU's version from dump.log, or ""
 * @param runtime the OCI runtime that checkpointed it ({@code runc}, {@code crun})
 * @param archiveFlavour {@code containerd} or {@code crio} (CRI-O and Podman)
 * @param baseImage the base image reference
 * @param baseImageDigest the base image's manifest digest, or null
 * @param baseDiffIds the base image's diff_ids
 * @param deltaDiffId the delta layer's diff_id
 * @param images the CRIU images
 * @param criuOptions restore options the checkpoint needs (e.g. {@code tcp-established}); may be empty
 */
public record RestoreMetadata(String containerName, String created, String criuVersion, String runtime,
                              String archiveFlavour, String baseImage, String baseImageDigest, List<String> baseDiffIds,
                              String deltaDiffId, List<CheckpointLayer.Image> images, Map<String, Object> criuOptions) {
    /** The {@code format} field's value. */
    public static final String FORMAT = "restore-shim.dev/restore-image";
    /** The format version written. */
    public static final int VERSION = 1;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Makes the metadata once the images are known (they stream into the layer first). */
    @FunctionalInterface
    public interface Builder {
        RestoreMetadata of(List<CheckpointLayer.Image> images);
    }

    public RestoreMetadata {
        Objects.requireNonNull(containerName);
        Objects.requireNonNull(created);
        Objects.requireNonNull(criuVersion);
        Objects.requireNonNull(runtime);
        Objects.requireNonNull(archiveFlavour);
        Objects.requireNonNull(baseImage);
        baseDiffIds = List.copyOf(baseDiffIds);
        Objects.requireNonNull(deltaDiffId);
        images = List.copyOf(images);
        criuOptions = Map.copyOf(criuOptions);
    }

    /**
     * The options a restore of these images needs: {@code tcp-established} when CRIU dumped
     * established TCP connections ({@code tcp-stream-*.img}).
     */
    public static Map<String, Object> criuOptionsFor(List<CheckpointLayer.Image> images) {
        boolean tcp = images.stream().anyMatch(i -> i.name().startsWith("tcp-stream-"));
        return tcp ? Map.of("tcp-established", true) : Map.of();
    }

    /** The JSON bytes (UTF-8, indented, fields in the documented order). */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        ObjectNode c = root.putObject("checkpoint");
        c.put("containerName", containerName);
        c.put("created", created);
        c.put("criuVersion", criuVersion);
        c.put("runtime", runtime);
        c.put("archiveFlavour", archiveFlavour);
        c.put("baseImage", baseImage);
        if (baseImageDigest == null) {
            c.putNull("baseImageDigest");
        } else {
            c.put("baseImageDigest", baseImageDigest);
        }
        ObjectNode layers = root.putObject("layers");
        ArrayNode base = layers.putArray("base");
        baseDiffIds.forEach(base::add);
        layers.put("delta", deltaDiffId);
        ArrayNode list = root.putArray("images");
        for (CheckpointLayer.Image i : images) {
            ObjectNode o = list.addObject();
            o.put("name", i.name());
            o.put("size", i.size());
            if (i.sha256() == null) {
                o.putNull("sha256");
            } else {
                o.put("sha256", i.sha256());
            }
        }
        ObjectNode opts = root.putObject("criuOptions");
        new java.util.TreeMap<>(criuOptions).forEach((k, v) -> opts.set(k, JSON.valueToTree(v)));
        return (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
