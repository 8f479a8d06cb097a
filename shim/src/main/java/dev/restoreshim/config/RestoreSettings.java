package dev.restoreshim.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The {@code [restore]} table. Parsed and validated now; the restore path uses it in the next
 * issue.
 *
 * @param cacheDir where extracted filesystem deltas are kept, shared read-only between restores
 *     (one directory per checkpoint digest); absolute
 * @param tmpfsSizeLimitBytes the size cap of one restore's CRIU staging tmpfs, in bytes; at least 1 MiB
 */
public record RestoreSettings(Path cacheDir, long tmpfsSizeLimitBytes) {
    /** Default cache directory: on disk, not under the tmpfs state directory. */
    public static final Path DEFAULT_CACHE_DIR = Path.of("/var/lib/restore-shim/cache");
    /** Default staging tmpfs cap: 1 GiB. */
    public static final long DEFAULT_TMPFS_SIZE_LIMIT = 1L << 30;
    /** Smallest accepted staging tmpfs cap: 1 MiB. */
    public static final long MIN_TMPFS_SIZE_LIMIT = 1L << 20;

    /** Validates; a bad value raises a {@link ConfigException} with origin "settings". */
    public RestoreSettings {
        Objects.requireNonNull(cacheDir, "cacheDir");
        if (!cacheDir.isAbsolute()) {
            throw new ConfigException("settings", "restore.cache_dir", "must be an absolute path, got \"" + cacheDir + "\"");
        }
        if (tmpfsSizeLimitBytes < MIN_TMPFS_SIZE_LIMIT) {
            throw new ConfigException("settings", "restore.tmpfs_size_limit",
                    "must be at least 1M, got " + tmpfsSizeLimitBytes + " bytes");
        }
    }

    /** The defaults: {@link #DEFAULT_CACHE_DIR} and {@link #DEFAULT_TMPFS_SIZE_LIMIT}. */
    public static RestoreSettings defaults() {
        return new RestoreSettings(DEFAULT_CACHE_DIR, DEFAULT_TMPFS_SIZE_LIMIT);
    }
}
