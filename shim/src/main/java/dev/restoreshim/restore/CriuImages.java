package dev.restoreshim.restore;

import java.nio.file.Path;

/**
 * Where CRIU reads the images of one restore ({@code runc restore --image-path}). Each kind is a
 * resource registered on the restore's cleanup stack where it is born and released as soon as
 * {@code runc restore} has returned (CRIU has copied the pages into the process by then); closing
 * twice does nothing.
 * <ul>
 *   <li>{@link ImageStaging}: the archive's {@code checkpoint/*} copied into a per-restore tmpfs
 *       (compressed archives, or {@code restore.images = "tmpfs"});</li>
 *   <li>{@link ErofsImages}: an uncompressed archive mounted read-only in place as EROFS (tar
 *       index mode); nothing is copied;</li>
 *   <li>{@link DirectoryImages}: a directory of images named by the request, used in place.</li>
 * </ul>
 * Switch over it without {@code default}: a new kind must not compile silently.
 */
public sealed interface CriuImages extends AutoCloseable permits ImageStaging, ErofsImages, DirectoryImages {
    /** The directory CRIU reads its images from. */
    Path dir();

    /** Bytes of images held in memory-backed storage (tmpfs) for this restore; 0 when read in place. */
    long tmpfsBytes();

    /**
     * Bytes the images' tmpfs holds right now (read from the file system, so pages CRIU's
     * {@code auto-dedup} punched out are not counted); -1 when they are not in a tmpfs of their own.
     */
    default long tmpfsBytesInUse() {
        return -1;
    }

    /** Short name for logs and status: {@code tmpfs}, {@code erofs}, {@code directory}. */
    default String kind() {
        return switch (this) {
            case ImageStaging s -> "tmpfs";
            case ErofsImages e -> "erofs";
            case DirectoryImages d -> "directory";
        };
    }

    /** Releases the images (unmount, remove the mount point); later calls do nothing. */
    @Override
    void close();
}
