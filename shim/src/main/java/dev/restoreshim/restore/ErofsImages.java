package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One restore's CRIU images read in place from an uncompressed checkpoint archive: the archive
 * is mounted read-only as EROFS in tar-index mode, file-backed ({@code mount(2)} of the
 * {@link ErofsMetadata} file with {@code device=<archive>}; the kernel needs
 * {@code CONFIG_EROFS_FS_BACKED_BY_FILE}), and CRIU reads {@code <mount>/checkpoint}. Nothing is
 * copied; no tmpfs cap applies. {@link #close} stops the page readahead, unmounts and removes
 * the mount point.
 */
public final class ErofsImages implements CriuImages {
    private static final Logger LOG = LoggerFactory.getLogger(ErofsImages.class);
    /** mount(2) flags: read-only, no setuid, no devices, no exec. */
    static final long FLAGS = Mounts.MS_RDONLY | Mounts.MS_NOSUID | Mounts.MS_NODEV | Mounts.MS_NOEXEC;

    private final Path mountPoint;
    private final Mounts mounts;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile PageReadahead readahead;

    private ErofsImages(Path mountPoint, Mounts mounts) {
        this.mountPoint = mountPoint;
        this.mounts = mounts;
    }

    /**
     * Creates {@code mountPoint} and mounts {@code meta} over {@code archive} on it. The caller
     * registers {@link #close} right away.
     *
     * @throws ShimException INTERNAL naming the archive and the mount error; the mount point is
     *     removed then
     */
    static ErofsImages mount(Mounts mounts, Path meta, Path archive, Path mountPoint) {
        try {
            Files.createDirectories(mountPoint);
        } catch (IOException e) {
            throw ShimException.internal("restore: create " + mountPoint + ": " + e.getMessage(), e);
        }
        try {
            mounts.mount(meta.toString(), mountPoint.toString(), "erofs", FLAGS, "device=" + archive);
        } catch (RuntimeException e) {
            deleteDir(mountPoint);
            throw ShimException.internal("restore: mount archive " + archive + " as erofs (metadata " + meta
                    + ") on " + mountPoint + ": " + e.getMessage(), e);
        }
        return new ErofsImages(mountPoint, mounts);
    }

    /** The mount point ({@code <staging root>/<ns>/<id>}). */
    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public Path dir() {
        return mountPoint.resolve("checkpoint");
    }

    @Override
    public long tmpfsBytes() {
        return 0;
    }

    /** Hands this mount the readahead of its page images, stopped by {@link #close}. */
    void readahead(PageReadahead r) {
        this.readahead = r;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        PageReadahead r = readahead;
        if (r != null) {
            r.close();
        }
        try {
            mounts.unmount(mountPoint.toString(), Mounts.MNT_DETACH);
        } finally {
            deleteDir(mountPoint);
        }
        LOG.debug("msg=\"erofs images released\" dir={}", mountPoint);
    }

    private static void deleteDir(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warn("msg=\"cannot remove erofs mount point\" dir={} error=\"{}\"", dir, e.getMessage());
        }
    }
}
