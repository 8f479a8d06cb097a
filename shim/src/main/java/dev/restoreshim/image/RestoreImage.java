package dev.restoreshim.image;

import dev.restoreshim.archive.ArchiveFlavour;
import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.CriuImageFile;
import dev.restoreshim.errors.ShimException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds a restore image (docs/restore-image.md) from a checkpoint archive and its base image into
 * an {@link ImageTarget}: base layers reused by digest, then the {@link DeltaLayerBlob delta
 * layer}, the {@link CheckpointLayer checkpoint layer}, the {@link ImageConfig config} and the
 * manifest with our annotations.
 */
public final class RestoreImage {
    public static final String ANNOTATION_VERSION = "dev.restoreshim.restore-image.version";
    public static final String ANNOTATION_CRIU_VERSION = "dev.restoreshim.checkpoint.criu-version";
    public static final String ANNOTATION_CREATED = "dev.restoreshim.checkpoint.created";
    public static final String ANNOTATION_CONTAINER = "dev.restoreshim.checkpoint.container-name";
    public static final String ANNOTATION_BASE_IMAGE = "dev.restoreshim.checkpoint.base-image";
    public static final String ANNOTATION_METADATA_DIGEST = "dev.restoreshim.checkpoint.metadata-digest";
    /** Annotations that divert containerd and CRI-O into their own checkpoint-restore path: never written. */
    public static final List<String> FORBIDDEN_ANNOTATIONS = List.of("org.criu.checkpoint.container.name",
            "io.kubernetes.cri-o.annotations.checkpoint.name");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private RestoreImage() {
    }

    /**
     * What was written.
     *
     * @param manifestDigest the manifest's digest
     * @param manifest the manifest bytes
     * @param config the config descriptor
     * @param layers all layers, bottom first
     * @param reuse how each base layer reached the target, counted
     * @param delta the delta layer
     * @param checkpoint the checkpoint layer
     */
    public record Result(String manifestDigest, byte[] manifest, Descriptor config, List<Descriptor> layers,
                         Map<ImageTarget.Reuse, Integer> reuse, DeltaLayerBlob.Result delta, CheckpointLayer.Result checkpoint) {
    }

    /**
     * Builds the image.
     *
     * @param archive the open checkpoint archive
     * @param summary its summary ({@link CheckpointArchive#summary})
     * @param base the base image, fetched
     * @param target where to write
     */
    public static Result build(CheckpointArchive archive, CheckpointSummary summary, BaseImage base, ImageTarget target,
                               Progress progress) {
        String name = archive.path().toString();
        if (!summary.hasInventory()) {
            throw ShimException.invalidArgument("archive " + name + ": no checkpoint/inventory.img: it holds no CRIU checkpoint");
        }
        Map<ImageTarget.Reuse, Integer> reuse = new EnumMap<>(ImageTarget.Reuse.class);
        for (Descriptor layer : base.layers()) {
            reuse.merge(target.addBaseLayer(layer), 1, Integer::sum);
        }
        List<String> deleted = summary.flavour().deltaFormat() == dev.restoreshim.archive.DeltaFormat.PLAIN_TAR
                ? archive.deletedFiles() : List.of();
        DeltaLayerBlob.Result delta;
        progress.start("delta layer", summary.delta().size());
        try (BlobOutput out = target.newBlob(progress::update)) {
            delta = DeltaLayerBlob.write(archive, summary.flavour().deltaFormat(), deleted, out);
        } finally {
            progress.end();
        }
        String created = created(summary);
        RestoreMetadata.Builder meta = images -> new RestoreMetadata(summary.container().displayName(), created,
                summary.criuVersion(), runtime(summary.container().runtime()), flavour(summary.flavour()), base.ref().toString(),
                base.manifestDigest(), base.diffIds(), delta.diffId(), images, RestoreMetadata.criuOptionsFor(images));
        CheckpointLayer.Result checkpoint;
        progress.start("checkpoint layer", summary.images().stream().mapToLong(CriuImageFile::size).sum());
        try (BlobOutput out = target.newBlob(progress::update)) {
            checkpoint = CheckpointLayer.write(archive, Instant.parse(created).getEpochSecond(),
                    images -> meta.of(images).toJson(), out);
        } finally {
            progress.end();
        }
        List<String> diffIds = new ArrayList<>(base.diffIds());
        diffIds.add(delta.diffId());
        diffIds.add(checkpoint.descriptor().digest());
        Descriptor config = target.putBlob(MediaTypes.OCI_CONFIG,
                ImageConfig.build(name, base.config(), summary.container(), created, diffIds));
        List<Descriptor> layers = new ArrayList<>(base.layers());
        layers.add(delta.descriptor());
        layers.add(checkpoint.descriptor());
        byte[] manifest = manifest(config, layers, annotations(summary, created, base, checkpoint.metadata()));
        String digest = target.putManifest(manifest);
        return new Result(digest, manifest, config, List.copyOf(layers), Map.copyOf(reuse), delta, checkpoint);
    }

    /** The manifest annotations: ours only. */
    static Map<String, String> annotations(CheckpointSummary summary, String created, BaseImage base, byte[] metadata) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put(ANNOTATION_VERSION, "1");
        a.put(ANNOTATION_CRIU_VERSION, summary.criuVersion());
        a.put(ANNOTATION_CREATED, created);
        a.put(ANNOTATION_CONTAINER, summary.container().displayName());
        a.put(ANNOTATION_BASE_IMAGE, base.ref().toString());
        a.put(ANNOTATION_METADATA_DIGEST, Digests.of(metadata));
        return a;
    }

    static byte[] manifest(Descriptor config, List<Descriptor> layers, Map<String, String> annotations) {
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.set("config", descriptor(config));
        ArrayNode l = m.putArray("layers");
        layers.forEach(d -> l.add(descriptor(d)));
        ObjectNode a = m.putObject("annotations");
        annotations.forEach(a::put);
        return JSON.writeValueAsString(m).getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode descriptor(Descriptor d) {
        ObjectNode o = JSON.createObjectNode();
        o.put("mediaType", d.mediaType());
        o.put("digest", d.digest());
        o.put("size", d.size());
        if (!d.annotations().isEmpty()) {
            ObjectNode a = o.putObject("annotations");
            d.annotations().forEach(a::put);
        }
        return o;
    }

    /** The checkpoint time as RFC 3339 UTC: config.dump's checkpointedTime, else now. */
    static String created(CheckpointSummary summary) {
        String t = summary.container().checkpointedTime();
        try {
            return Instant.parse(t).toString();
        } catch (DateTimeParseException e) {
            try {
                return java.time.OffsetDateTime.parse(t).toInstant().toString();
            } catch (DateTimeParseException e2) {
                return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
            }
        }
    }

    static String flavour(ArchiveFlavour f) {
        return f == ArchiveFlavour.CONTAINERD ? "containerd" : "crio";
    }

    static String runtime(String recorded) {
        if (recorded.contains("runc")) {
            return "runc";
        }
        return recorded.contains("crun") ? "crun" : recorded.isEmpty() ? "runc" : recorded;
    }
}
