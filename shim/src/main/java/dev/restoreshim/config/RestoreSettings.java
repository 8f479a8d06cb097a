package dev.restoreshim.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The {@code [restore]} table.
 *
 * @param cacheDir where extracted filesystem deltas are kept, shared read-only between restores
 *     (one directory per checkpoint digest); absolute
 * @param tmpfsSizeLimitBytes the size cap of one restore's CRIU staging tmpfs, in bytes; at least 1 MiB
 * @param images where CRIU reads a restore's images from ({@code restore.images})
 * @param readahead whether an EROFS restore asks the kernel to read the page images ahead while
 *     the rest of the restore runs ({@code restore.readahead}; off by default: the restore
 *     benchmark measured it slower, see docs/restore.md)
 * @param delta how a checkpoint's filesystem delta is kept in the cache ({@code restore.delta})
 */
public record RestoreSettings(Path cacheDir, long tmpfsSizeLimitBytes, Images images, boolean readahead,
                              Delta delta) {
    /** Default cache directory: on disk, not under the tmpfs state directory. */
    public static final Path DEFAULT_CACHE_DIR = Path.of("/var/lib/restore-shim/cache");
    /** Default staging tmpfs cap: 1 GiB. */
    public static final long DEFAULT_TMPFS_SIZE_LIMIT = 1L << 30;
    /** Smallest accepted staging tmpfs cap: 1 MiB. */
    public static final long MIN_TMPFS_SIZE_LIMIT = 1L << 20;

    /** The values of {@code restore.images}. */
    public enum Images {
        /** EROFS in place for an uncompressed archive when the host supports it, else tmpfs. */
        AUTO,
        /** Always stage the images into a per-restore tmpfs. */
        TMPFS,
        /** Always mount an uncompressed archive as EROFS; a compressed one or a host without EROFS is refused. */
        EROFS;

        /** The config spelling: {@code "auto"}, {@code "tmpfs"}, {@code "erofs"}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The values of {@code restore.delta}. */
    public enum Delta {
        /** An EROFS image when the host can build and mount one, else a directory. */
        AUTO,
        /** Always extract into a directory. */
        DIRECTORY,
        /** Always an EROFS image; restores are refused on a host without EROFS. */
        EROFS;

        /** The config spelling: {@code "auto"}, {@code "directory"}, {@code "erofs"}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Validates; a bad value raises a {@link ConfigException} with origin "settings". */
    public RestoreSettings {
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(delta, "delta");
        if (!cacheDir.isAbsolute()) {
            throw new ConfigException("settings", "restore.cache_dir", "must be an absolute path, got \"" + cacheDir + "\"");
        }
        if (tmpfsSizeLimitBytes < MIN_TMPFS_SIZE_LIMIT) {
            throw new ConfigException("settings", "restore.tmpfs_size_limit",
                    "must be at least 1M, got " + tmpfsSizeLimitBytes + " bytes");
        }
    }

    /** The given cache and cap, {@code images = "auto"}, readahead off, {@code delta = "auto"}. */
    public RestoreSettings(Path cacheDir, long tmpfsSizeLimitBytes) {
        this(cacheDir, tmpfsSizeLimitBytes, Images.AUTO, false, Delta.AUTO);
    }

    /** The defaults: {@link #DEFAULT_CACHE_DIR}, {@link #DEFAULT_TMPFS_SIZE_LIMIT}, auto, readahead off, delta auto. */
    public static RestoreSettings defaults() {
        return new RestoreSettings(DEFAULT_CACHE_DIR, DEFAULT_TMPFS_SIZE_LIMIT);
    }
}
