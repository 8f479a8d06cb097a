package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.process.CreateSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Why a Create is a restore, and from what. Detected in this order: the request's own
 * {@code checkpoint} field (containerd's restore: {@code ctr}, CRI up to 2.3), then the annotation
 * {@value #ANNOTATION} in the bundle's {@code config.json} (a pod annotation reaches the
 * container through the handler's {@code pod_annotations = ["restore-shim.dev/*"]}), then a
 * restore image: the topmost lower layer of the request's rootfs mount holds
 * {@code .restore-shim/restore.json} ({@link RestoreImageLayer}; for a request without rootfs
 * mounts, as when a restarted daemon re-adopts, the bundle's {@value RestoreImageLayer#MARKER}
 * file). Anything else is an ordinary create.
 *
 * @param origin where the checkpoint was named
 * @param source what the path holds
 * @param path the archive file, the directory of CRIU images, or the restore image's checkpoint layer
 */
public record RestoreRequest(Origin origin, Source source, Path path) {
    /** The container annotation naming a checkpoint archive or directory (a host path). */
    public static final String ANNOTATION = "restore-shim.dev/checkpoint";
    /** The CRI annotation telling a pod's sandbox container from its app containers. */
    static final String CONTAINER_TYPE = "io.kubernetes.cri.container-type";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Where the checkpoint was named. */
    public enum Origin {
        /** {@code CreateTaskRequest.checkpoint}. */
        TASK_CHECKPOINT,
        /** The {@value RestoreRequest#ANNOTATION} annotation of the bundle spec. */
        ANNOTATION,
        /** The top layer of the request's rootfs (a restore image). */
        ROOTFS_LAYER
    }

    /** What the checkpoint path holds. */
    public enum Source {
        /** A checkpoint archive file (tar, gzip or zstd). */
        ARCHIVE,
        /** A directory of CRIU images, used in place. */
        IMAGES_DIR,
        /** A restore image's checkpoint layer: metadata and CRIU images, used in place. */
        RESTORE_IMAGE
    }

    /**
     * The restore {@code spec} asks for, if any.
     *
     * @throws ShimException NOT_FOUND when the named path does not exist, INVALID_ARGUMENT when
     *     it is relative, neither a file nor a directory, or the bundle spec cannot be read
     */
    public static Optional<RestoreRequest> detect(CreateSpec spec) {
        if (!spec.checkpoint().isEmpty()) {
            return Optional.of(classify(spec, Origin.TASK_CHECKPOINT, spec.checkpoint()));
        }
        JsonNode annotations = annotations(spec);
        if (annotations.path(CONTAINER_TYPE).asString("").equals("sandbox")) {
            return Optional.empty(); // pod annotations reach the sandbox too; only app containers restore
        }
        String annotated = annotations.path(ANNOTATION).asString("").trim();
        if (!annotated.isEmpty()) {
            return Optional.of(classify(spec, Origin.ANNOTATION, annotated));
        }
        Optional<Path> layer = spec.rootfs().isEmpty() ? RestoreImageLayer.marked(spec.bundle())
                : RestoreImageLayer.find(spec.rootfs());
        return layer.map(l -> new RestoreRequest(Origin.ROOTFS_LAYER, Source.RESTORE_IMAGE, l));
    }

    private static RestoreRequest classify(CreateSpec spec, Origin origin, String value) {
        String what = "restore task \"" + spec.id() + "\": checkpoint \"" + value + "\" (from "
                + (origin == Origin.ANNOTATION ? "annotation " + ANNOTATION : "the request's checkpoint field") + ")";
        Path p = Path.of(value);
        if (!p.isAbsolute()) {
            throw ShimException.invalidArgument(what + ": must be an absolute host path");
        }
        if (Files.isDirectory(p)) {
            return new RestoreRequest(origin, Source.IMAGES_DIR, imagesDir(p));
        }
        if (Files.isRegularFile(p)) {
            return new RestoreRequest(origin, Source.ARCHIVE, p);
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw ShimException.notFound(what + ": no such file or directory");
        }
        throw ShimException.invalidArgument(what + ": neither a regular file nor a directory");
    }

    /** A directory holding {@code checkpoint/inventory.img} (an unpacked archive) means its {@code checkpoint/}. */
    private static Path imagesDir(Path dir) {
        if (!Files.isRegularFile(dir.resolve("inventory.img")) && Files.isRegularFile(dir.resolve("checkpoint/inventory.img"))) {
            return dir.resolve("checkpoint");
        }
        return dir;
    }

    /**
     * The string annotations of {@code spec}'s bundle {@code config.json} (the pod's
     * {@code restore-shim.dev/*} annotations among them).
     *
     * @throws ShimException INVALID_ARGUMENT when the bundle spec cannot be read
     */
    public static java.util.Map<String, String> annotationsOf(CreateSpec spec) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        annotations(spec).properties().forEach(e -> {
            if (e.getValue().isString()) {
                out.put(e.getKey(), e.getValue().stringValue());
            }
        });
        return out;
    }

    private static JsonNode annotations(CreateSpec spec) {
        Path config = spec.bundle().resolve("config.json");
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(config));
            return root.path("annotations");
        } catch (IOException | JacksonException e) {
            throw ShimException.invalidArgument("create task \"" + spec.id() + "\": bundle spec " + config
                    + ": cannot read annotations: " + e.getMessage());
        }
    }
}
