package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.overlay.DeltaCache;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EROFS tar-index metadata of checkpoint archives, one file per {@link ArchiveKey} beside the
 * delta cache: {@code <dir>/<algo>-<hex>.erofs}, built by {@code mkfs.erofs --tar=i} from the
 * archive's headers only (a few KiB to a few MiB; the file data stays in the archive, which the
 * mount names as its {@code device=}). A repeated restore of the same archive finds the file and
 * writes nothing. A file is built under {@code .tmp-*} and renamed into place, so a half-written
 * one is never used; leftovers are removed at {@link #open}.
 *
 * <p>Bounded: beyond {@code maxBytes} the least recently used files are deleted (a mounted one
 * stays readable: the mount holds its inode). Recency is kept in memory, never by touching the
 * files, so that a cached hit writes no inode update either. Guarded by {@code lock}: the map.
 */
public final class ErofsMetadata {
    private static final Logger LOG = LoggerFactory.getLogger(ErofsMetadata.class);
    static final String SUFFIX = ".erofs";

    private final Path dir;
    private final long maxBytes;
    private final HostTool tool;
    private final String mkfs;
    private final Object lock = new Object();
    /** Guarded by {@code lock}: file name to size, least recently used first. */
    private final LinkedHashMap<String, Long> files = new LinkedHashMap<>(16, 0.75f, true);

    private ErofsMetadata(Path dir, long maxBytes, HostTool tool, String mkfs) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.tool = tool;
        this.mkfs = mkfs;
    }

    /**
     * Opens (creating, mode 0700) the metadata cache at {@code dir}, run through {@code tool}
     * with {@code mkfs} (normally {@code mkfs.erofs}, looked up on PATH).
     */
    static ErofsMetadata open(Path dir, long maxBytes, HostTool tool, String mkfs) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        ErofsMetadata m = new ErofsMetadata(dir, maxBytes, tool, mkfs);
        record Found(String name, long size, long mtime) {
        }
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".tmp-")) {
                    Files.deleteIfExists(p);
                } else if (name.endsWith(SUFFIX) && Files.isRegularFile(p)) {
                    found.add(new Found(name, Files.size(p), Files.getLastModifiedTime(p).toMillis()));
                }
            }
        }
        found.sort(Comparator.comparingLong(Found::mtime));
        synchronized (m.lock) {
            found.forEach(f -> m.files.put(f.name(), f.size()));
        }
        m.evict();
        return m;
    }

    /** The default timeout of one {@code mkfs.erofs} run. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** The cache directory. */
    public Path dir() {
        return dir;
    }

    /** Result of {@link #forArchive}: the metadata file and whether it was already there. */
    record Meta(Path file, boolean cached) {
    }

    /**
     * The metadata file of {@code archive} (cache key {@code key}), built now if missing.
     *
     * @throws ShimException naming the archive when {@code mkfs.erofs} fails or times out
     */
    Meta forArchive(String key, Path archive) {
        String name = DeltaCache.entryName(key) + SUFFIX;
        Path file = dir.resolve(name);
        synchronized (lock) {
            if (files.get(name) != null && Files.isRegularFile(file)) {
                return new Meta(file, true);
            }
        }
        Path tmp = dir.resolve(".tmp-" + name + "-" + UUID.randomUUID());
        try {
            tool.run("restore: index archive " + archive + " for EROFS",
                    List.of(mkfs, "--quiet", "--tar=i", tmp.toString(), archive.toString()),
                    dir.resolve(tmp.getFileName() + ".err"));
            if (!Files.isRegularFile(tmp)) {
                throw ShimException.internal("restore: index archive " + archive + " for EROFS: " + mkfs
                        + " exited 0 but wrote no " + tmp, null);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            long size = Files.size(file);
            synchronized (lock) {
                files.put(name, size);
            }
            LOG.debug("event=erofs_meta_built archive={} file={} bytes={}", archive, file, size);
        } catch (IOException e) {
            throw ShimException.internal("restore: index archive " + archive + " for EROFS: " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
        evict();
        return new Meta(file, false);
    }

    /** Names of the cached files, least recently used first (for tests). */
    List<String> names() {
        synchronized (lock) {
            return List.copyOf(files.keySet());
        }
    }

    private void evict() {
        List<String> gone = new ArrayList<>();
        synchronized (lock) {
            long total = files.values().stream().mapToLong(Long::longValue).sum();
            var it = files.entrySet().iterator();
            while (total > maxBytes && it.hasNext()) {
                Map.Entry<String, Long> e = it.next();
                total -= e.getValue();
                gone.add(e.getKey());
                it.remove();
            }
        }
        gone.forEach(n -> deleteQuietly(dir.resolve(n)));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("msg=\"cannot remove erofs metadata\" path={} error=\"{}\"", p, e.getMessage());
        }
    }
}
