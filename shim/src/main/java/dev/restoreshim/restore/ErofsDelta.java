package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Delta layers as EROFS images: {@code mkfs.erofs --tar=f --aufs} builds one image file from the
 * normalized layer tar that {@code DeltaLayer.writeTar} streams into its stdin (nothing is
 * extracted into files), and a restore mounts it read-only just long enough to mount its overlay:
 * overlayfs keeps its own private clone of each lower layer's mount, so the EROFS mount is
 * detached right after and only the overlay is left to unmount.
 *
 * <p>Why: building a delta of many files as one image is several times faster than creating
 * them one by one, and evicting it is deleting one file (docs/restore.md, "The delta as an EROFS
 * image", has the measurements).
 *
 * @param tool runs {@code mkfs.erofs}
 * @param mkfs the {@code mkfs.erofs} command
 */
record ErofsDelta(HostTool tool, String mkfs) {
    /** mount(2) flags of the image: read-only; exec and suid stay as in the image layers. */
    static final long FLAGS = Mounts.MS_RDONLY;

    /**
     * Builds {@code image} (which must not exist) from the tar {@code layer} writes.
     *
     * @throws ShimException from {@code layer} (a refused entry; {@code mkfs.erofs} is killed), or
     *     INTERNAL naming {@code mkfs.erofs}'s error; no image is left either way
     */
    void build(Path image, HostTool.Input layer) {
        try {
            tool.run("restore: build delta image " + image, List.of(mkfs, "--quiet", "--tar=f", "--aufs",
                    image.toString()), image.resolveSibling(image.getFileName() + ".err"), layer);
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(image); // what mkfs.erofs wrote before it was stopped
            } catch (IOException de) {
                e.addSuppressed(de);
            }
            throw e;
        }
    }

    /**
     * Mounts {@code image} read-only on {@code at} (created); close the result once the overlay
     * that uses it is mounted.
     *
     * @throws ShimException INTERNAL naming the image and the mount error; {@code at} is removed
     */
    static Mounted mount(Mounts mounts, Path image, Path at) {
        try {
            Files.createDirectories(at);
        } catch (IOException e) {
            throw ShimException.internal("restore: delta image mount point " + at + ": " + e.getMessage(), e);
        }
        try {
            mounts.mount(image.toString(), at.toString(), "erofs", FLAGS, "");
        } catch (SysException e) {
            removeQuietly(at);
            throw ShimException.internal("restore: mount delta image " + image + " on " + at + ": " + e.getMessage(), e);
        }
        return new Mounted(mounts, at);
    }

    /** A mounted delta image; {@link #close} detaches it and removes the mount point (once). */
    static final class Mounted implements AutoCloseable {
        private final Mounts mounts;
        private final Path dir;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Mounted(Mounts mounts, Path dir) {
            this.mounts = mounts;
            this.dir = dir;
        }

        /** The layer's root. */
        Path dir() {
            return dir;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                mounts.unmount(dir.toString(), Mounts.MNT_DETACH);
                removeQuietly(dir);
            }
        }
    }

    private static void removeQuietly(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // an empty directory under the staging root; the next restore of this id reuses it
        }
    }
}
