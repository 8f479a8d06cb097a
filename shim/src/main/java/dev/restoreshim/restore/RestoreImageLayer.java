package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.overlay.OverlayMount;
import dev.restoreshim.overlay.OverlayStack;
import dev.restoreshim.overlay.RootfsMount;
import dev.restoreshim.process.CleanupStack;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.MountSpec;
import dev.restoreshim.sys.FsMounts;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore of a restore image (docs/restore-image.md): the request's rootfs overlay has the
 * image's checkpoint layer as its topmost lower layer, holding {@code .restore-shim/restore.json}
 * and the CRIU images. Nothing is copied or extracted:
 * <ol>
 *   <li>verify: {@link RestoreImageMetadata#verify} checks the layer against its metadata;</li>
 *   <li>mount: the request's overlay without that layer on {@code <bundle>/rootfs}, so the
 *       application never sees {@code .restore-shim/};</li>
 *   <li>images: the layer's {@code .restore-shim/checkpoint} bind-mounted read-only on
 *       {@code <bundle>/}{@value #IMAGES_MOUNT}, so that neither CRIU (which writes
 *       {@code stats-restore} into its images dir) nor anything else can change the layer that
 *       every container of the image shares;</li>
 *   <li>create: the container with an empty rootfs list (it is mounted) and that directory as its
 *       checkpoint, so its Start runs {@code runc restore} with the CRIU work dir in the bundle.</li>
 * </ol>
 * A failure at any step undoes the earlier ones and nothing stays mounted. The bundle file
 * {@value #MARKER} names the layer so that a restarted daemon knows what to release.
 */
public final class RestoreImageLayer {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreImageLayer.class);
    /** The bundle file naming the checkpoint layer of a container restored from a restore image. */
    public static final String MARKER = "restore-image-layer";
    /** Where the images are bind-mounted read-only, in the bundle. */
    public static final String IMAGES_MOUNT = "restore-images";

    private final Mounts mounts;
    private final FsMounts fsMounts;

    public RestoreImageLayer(Mounts mounts, FsMounts fsMounts) {
        this.mounts = mounts;
        this.fsMounts = fsMounts;
    }

    /**
     * The checkpoint layer of {@code rootfs}: its topmost lower layer (or bind source) when that
     * holds {@code .restore-shim/restore.json}.
     */
    public static Optional<Path> find(List<MountSpec> rootfs) {
        try {
            return OverlayStack.topLayer(rootfsMounts(rootfs)).filter(RestoreImageMetadata::present);
        } catch (ShimException e) {
            return Optional.empty(); // an unusual mount is not a restore image; the create reports it if it must
        }
    }

    /** The layer named by the bundle's {@value #MARKER} file (a container restored by an earlier daemon). */
    public static Optional<Path> marked(Path bundle) {
        Path marker = bundle.resolve(MARKER);
        if (!Files.isRegularFile(marker)) {
            return Optional.empty();
        }
        try {
            String layer = Files.readString(marker, StandardCharsets.UTF_8).strip();
            return layer.isEmpty() ? Optional.empty() : Optional.of(Path.of(layer));
        } catch (IOException e) {
            LOG.warn("event=restore_image_marker_unreadable bundle={} reason=\"{}\"", bundle, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Verifies the layer, mounts the rootfs without it and creates the container through
     * {@code create}, restoring from the layer's images at Start.
     *
     * @throws ShimException naming the layer and the reason (see {@link RestoreImageMetadata#verify},
     *     {@link OverlayStack#withoutTopLayer}); nothing is left mounted then
     */
    public <C> Restoration<C> restore(CreateSpec spec, Path layer, Function<CreateSpec, C> create, String label) {
        long t0 = System.nanoTime();
        RestoreImageMetadata metadata = RestoreImageMetadata.verify(layer);
        OverlayStack stack = OverlayStack.withoutTopLayer(rootfsMounts(spec.rootfs()));
        long tVerify = System.nanoTime();
        CleanupStack resources = new CleanupStack();
        try {
            Path rootfs = spec.bundle().resolve("rootfs");
            createDirectory(rootfs);
            OverlayMount overlay = OverlayMount.mount(stack, rootfs, mounts, fsMounts);
            resources.push("unmount overlay " + rootfs, overlay::close);
            Path images = spec.bundle().resolve(IMAGES_MOUNT);
            createDirectory(images);
            resources.push("remove " + images, () -> Files.deleteIfExists(images));
            bindReadOnly(metadata.imagesDir(), images, layer);
            resources.push("unmount images " + images, () -> mounts.unmount(images.toString(), Mounts.MNT_DETACH));
            Path marker = spec.bundle().resolve(MARKER);
            writeMarker(marker, layer);
            resources.push("remove " + marker, () -> Files.deleteIfExists(marker));
            long tMount = System.nanoTime();
            C c = create.apply(new CreateSpec(spec.namespace(), spec.id(), spec.bundle(), List.of(), spec.stdio(),
                    images.toString(), spec.parentCheckpoint()));
            long tCreate = System.nanoTime();
            RestoreTimings timings = new RestoreTimings(ms(t0, tVerify), -1, ms(tVerify, tMount), -1,
                    ms(tMount, tCreate), -1, ms(t0, tCreate), false, 0);
            LOG.info("event=restore_prepared {} layer={} images={} image_bytes={} criu_version={} criu_options={}"
                    + " overlay={} {}", label, layer, metadata.images().size(), metadata.totalBytes(),
                    metadata.criuVersion(), metadata.criuOptions().keySet(), overlay.method(), timings.logFields());
            return new Restoration<>(label, c, resources, null, timings);
        } catch (RuntimeException e) {
            resources.close();
            throw e;
        }
    }

    /**
     * What a container restored from a restore image by an earlier daemon holds: the overlay on
     * {@code <bundle>/rootfs} and the images bind mount (already gone after a Delete).
     */
    public CleanupStack readopt(Path bundle) {
        CleanupStack resources = new CleanupStack();
        String rootfs = bundle.resolve("rootfs").toString();
        resources.push("unmount overlay " + rootfs, () -> mounts.unmount(rootfs, Mounts.MNT_DETACH));
        Path images = bundle.resolve(IMAGES_MOUNT);
        resources.push("remove " + images, () -> Files.deleteIfExists(images));
        resources.push("unmount images " + images, () -> unmountIfMounted(images));
        return resources;
    }

    private void unmountIfMounted(Path dir) {
        if (Files.isDirectory(dir)) {
            try {
                mounts.unmount(dir.toString(), Mounts.MNT_DETACH);
            } catch (SysException e) {
                LOG.info("event=restore_images_not_mounted dir={} reason=\"{}\"", dir, e.getMessage());
            }
        }
    }

    private void bindReadOnly(Path source, Path target, Path layer) {
        String t = target.toString();
        try {
            mounts.mount(source.toString(), t, "", Mounts.MS_BIND, "");
        } catch (SysException e) {
            throw ShimException.internal("restore image layer " + layer + ": bind " + source + " on " + t + ": "
                    + e.getMessage(), e);
        }
        try {
            mounts.mount("", t, "", Mounts.MS_BIND | Mounts.MS_REMOUNT | Mounts.MS_RDONLY | Mounts.MS_NOSUID
                    | Mounts.MS_NODEV | Mounts.MS_NOEXEC, "");
        } catch (SysException e) {
            mounts.unmount(t, Mounts.MNT_DETACH);
            throw ShimException.internal("restore image layer " + layer + ": remount " + t + " read-only: "
                    + e.getMessage(), e);
        }
    }

    private static List<RootfsMount> rootfsMounts(List<MountSpec> rootfs) {
        return rootfs.stream().map(m -> new RootfsMount(m.type(), m.source(), m.options())).toList();
    }

    private static void writeMarker(Path marker, Path layer) {
        try {
            Files.writeString(marker, layer + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ShimException.internal("restore image layer " + layer + ": write " + marker + ": " + e.getMessage(), e);
        }
    }

    private static void createDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ShimException.internal("restore: create " + dir + ": " + e.getMessage(), e);
        }
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }
}
