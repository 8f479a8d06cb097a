package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.BackingDevices;
import dev.restoreshim.sys.Errno;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
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
 *
 * <p>The mount asks for {@code directio}: EROFS then reads the archive with direct I/O into its
 * own page cache, so a page image read during an eager restore is cached once, not twice (the
 * archive's pages and the EROFS file's), and the kernel copies it once less. A kernel whose EROFS
 * has no such option refuses it with EINVAL; the mount is then retried without it.
 *
 * <p>A file-backed EROFS superblock has a backing-device entry of its own ({@code erofs-<n>} under
 * {@code /sys/class/bdi}) whose readahead window starts at the kernel's default of 128 KiB: with
 * direct I/O every 128 KiB of a page image is then one read of the archive, waited for in turn.
 * The mount sets it to {@link #READ_AHEAD_KB}: a cold sequential read of a 2 GiB page image
 * through the mount took 1.45 s instead of 1.93 s on the benchmark VM (mean of 3 each). No path
 * leads from a mount to its entry, so mounts are serialized and the entry that appeared is taken.
 */
public final class ErofsImages implements CriuImages {
    private static final Logger LOG = LoggerFactory.getLogger(ErofsImages.class);
    /** mount(2) flags: read-only, no setuid, no devices, no exec. */
    static final long FLAGS = Mounts.MS_RDONLY | Mounts.MS_NOSUID | Mounts.MS_NODEV | Mounts.MS_NOEXEC;
    /** The mount option for direct I/O on the backing archive. */
    static final String DIRECT_IO = ",directio";
    /** Readahead window of an archive's EROFS mount, KiB (the kernel's default is 128). */
    static final int READ_AHEAD_KB = 1024;
    /** Names of the bdi entries of file-backed EROFS superblocks. */
    static final String BDI_PREFIX = "erofs-";
    private static final Object MOUNT_LOCK = new Object();

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
    static ErofsImages mount(Mounts mounts, BackingDevices bdis, Path meta, Path archive, Path mountPoint) {
        try {
            Files.createDirectories(mountPoint);
        } catch (IOException e) {
            throw ShimException.internal("restore: create " + mountPoint + ": " + e.getMessage(), e);
        }
        String options = "device=" + archive;
        synchronized (MOUNT_LOCK) { // the new bdi entry is told apart by listing before and after
            Set<String> before = bdis == null ? Set.of() : bdis.names(BDI_PREFIX);
            try {
                try {
                    mounts.mount(meta.toString(), mountPoint.toString(), "erofs", FLAGS, options + DIRECT_IO);
                } catch (SysException e) {
                    if (e.errno() != Errno.EINVAL) {
                        throw e;
                    }
                    // a kernel whose EROFS has no directio: read the archive through its page cache
                    mounts.mount(meta.toString(), mountPoint.toString(), "erofs", FLAGS, options);
                }
            } catch (RuntimeException e) {
                deleteDir(mountPoint);
                throw ShimException.internal("restore: mount archive " + archive + " as erofs (metadata " + meta
                        + ") on " + mountPoint + ": " + e.getMessage(), e);
            }
            if (bdis != null) {
                widenReadahead(bdis, before, mountPoint);
            }
        }
        return new ErofsImages(mountPoint, mounts);
    }

    /**
     * Sets {@link #READ_AHEAD_KB} on the bdi entry the mount just added, when exactly one
     * {@code erofs-*} entry appeared (another EROFS mounted by someone else at the same moment
     * leaves the window at the kernel's default, as does a failed write; both only logged).
     */
    private static void widenReadahead(BackingDevices bdis, Set<String> before, Path mountPoint) {
        Set<String> added = new HashSet<>(bdis.names(BDI_PREFIX));
        added.removeAll(before);
        if (added.size() != 1) {
            LOG.debug("event=erofs_readahead_default mount={} new_bdis={}", mountPoint, added);
            return;
        }
        String bdi = added.iterator().next();
        try {
            bdis.setReadAheadKb(bdi, READ_AHEAD_KB);
        } catch (IOException | RuntimeException e) {
            LOG.warn("event=erofs_readahead_failed mount={} bdi={} reason=\"{}\"", mountPoint, bdi, e.getMessage());
        }
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
