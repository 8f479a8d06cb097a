package dev.restoreshim.restore;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.EntryType;
import dev.restoreshim.archive.TarEntry;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.Mounts;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One restore's CRIU images, staged in a tmpfs of their own with a size cap: only the archive's
 * {@code checkpoint/*} members are written (streamed by {@link CheckpointArchive#forEach}), nothing
 * else of the archive. The tmpfs is unmounted by {@link #close} (idempotent) as soon as
 * {@code runc restore} has returned: CRIU has copied the pages into the process by then.
 */
public final class ImageStaging implements CriuImages {
    private static final Logger LOG = LoggerFactory.getLogger(ImageStaging.class);
    /** The archive directory holding the CRIU images. */
    static final String PREFIX = "checkpoint/";
    /** The CRIU image a restore starts from. */
    static final String INVENTORY = "inventory.img";
    private static final long PAGE = 4096;

    private final Path dir;
    private final Mounts mounts;
    private final long capBytes;
    private final AtomicBoolean closed = new AtomicBoolean();
    private long stagedBytes;

    private ImageStaging(Path dir, Mounts mounts, long capBytes) {
        this.dir = dir;
        this.mounts = mounts;
        this.capBytes = capBytes;
    }

    /**
     * What the images of an indexed archive will take in tmpfs (file sizes rounded up to pages),
     * or -1 for a compressed archive, whose sizes are only known by streaming it.
     */
    public static long requiredBytes(CheckpointArchive archive) {
        if (!archive.indexed()) {
            return -1;
        }
        long sum = 0;
        for (TarEntry e : archive.index().entries()) {
            if (e.isUnder("checkpoint") && e.isFile()) {
                sum += pages(e.size());
            }
        }
        return sum;
    }

    /**
     * Refuses an indexed archive without {@code checkpoint/inventory.img}, the image every CRIU
     * restore starts from; a compressed archive is checked by {@link #stage} once streamed.
     *
     * @throws ShimException INVALID_ARGUMENT naming the archive and the missing image
     */
    public static void requireInventory(CheckpointArchive archive) {
        if (archive.indexed() && archive.index().entries().stream()
                .noneMatch(e -> e.isFile() && e.name().equals(PREFIX + INVENTORY))) {
            throw missingInventory(archive);
        }
    }

    private static ShimException missingInventory(CheckpointArchive archive) {
        return ShimException.invalidArgument("archive " + archive.path() + ": no " + PREFIX + INVENTORY
                + ": not a CRIU checkpoint (every restore starts from that image)");
    }

    /**
     * Creates {@code dir} and mounts a tmpfs of {@code capBytes} on it ({@code mode=0700}). The
     * caller registers {@link #close} right away.
     */
    public static ImageStaging mount(Mounts mounts, Path dir, long capBytes) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ShimException.internal("restore staging: create " + dir + ": " + e.getMessage(), e);
        }
        try {
            mounts.mount("tmpfs", dir.toString(), "tmpfs", Mounts.MS_NOSUID | Mounts.MS_NODEV | Mounts.MS_NOEXEC,
                    "size=" + capBytes + ",mode=0700");
        } catch (RuntimeException e) {
            deleteDir(dir);
            throw ShimException.internal("restore staging: mount tmpfs (size=" + capBytes + ") on " + dir + ": "
                    + e.getMessage(), e);
        }
        return new ImageStaging(dir, mounts, capBytes);
    }

    /** The directory CRIU reads its images from. */
    @Override
    public Path dir() {
        return dir;
    }

    @Override
    public long tmpfsBytes() {
        return stagedBytes;
    }

    @Override
    public long tmpfsBytesInUse() {
        try {
            java.nio.file.FileStore fs = Files.getFileStore(dir);
            return "tmpfs".equals(fs.type()) ? fs.getTotalSpace() - fs.getUnallocatedSpace() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** Bytes written so far. */
    public long stagedBytes() {
        return stagedBytes;
    }

    /**
     * Streams every {@code checkpoint/*} member of {@code archive} into the tmpfs; returns the
     * number of bytes written.
     *
     * @throws ShimException RESOURCE_EXHAUSTED naming the sizes when the images pass the cap,
     *     INVALID_ARGUMENT for an image that is neither a file nor a directory, or when there is no
     *     {@code inventory.img}
     */
    public long stage(CheckpointArchive archive) {
        archive.forEach(e -> e.isUnder("checkpoint"), (entry, data) -> write(archive, entry, data));
        if (!Files.isRegularFile(dir.resolve(INVENTORY), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw missingInventory(archive);
        }
        return stagedBytes;
    }

    private void write(CheckpointArchive archive, TarEntry entry, InputStream data) throws IOException {
        Path target = dir.resolve(entry.name().substring(PREFIX.length())).normalize();
        if (!target.startsWith(dir)) {
            throw ShimException.invalidArgument("archive " + archive.path() + ": entry \"" + entry.name()
                    + "\": leaves the image directory");
        }
        if (entry.type() == EntryType.DIRECTORY) {
            Files.createDirectories(target);
            return;
        }
        if (entry.type() != EntryType.FILE) {
            throw ShimException.invalidArgument("archive " + archive.path() + ": entry \"" + entry.name()
                    + "\": a CRIU image must be a regular file, not " + entry.type().name().toLowerCase());
        }
        if (stagedBytes + pages(entry.size()) > capBytes) {
            throw overCap(archive.path().toString(), stagedBytes + pages(entry.size()), capBytes);
        }
        Files.createDirectories(target.getParent());
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (archive.indexed()) {
                // an uncompressed archive: the kernel copies the member (FileChannel.transferTo), no
                // 16 KiB user-space buffer; docs/restore.md has the measurement
                archive.index().transferTo(entry, out);
            } else {
                data.transferTo(Channels.newOutputStream(out));
            }
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("No space left")) {
                throw overCap(archive.path().toString(), stagedBytes + pages(entry.size()), capBytes);
            }
            throw e;
        }
        stagedBytes += pages(entry.size());
    }

    /** The refusal when images need more than the cap. */
    static ShimException overCap(String archive, long needed, long cap) {
        return new ShimException(ErrorKind.RESOURCE_EXHAUSTED, "archive " + archive + ": CRIU images need at least "
                + needed + " bytes, more than the staging tmpfs cap of " + cap + " bytes (restore.tmpfs_size_limit)");
    }

    /** Unmounts the tmpfs and removes its directory; later calls do nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            mounts.unmount(dir.toString(), Mounts.MNT_DETACH);
        } finally {
            deleteDir(dir);
        }
        LOG.debug("msg=\"staging tmpfs released\" dir={}", dir);
    }

    private static long pages(long size) {
        return (size + PAGE - 1) / PAGE * PAGE;
    }

    /** Removes {@code dir} and what a fake mount left in it (a real tmpfs is gone already). */
    private static void deleteDir(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("msg=\"cannot remove staging dir\" dir={} error=\"{}\"", dir, e.getMessage());
        }
    }
}
