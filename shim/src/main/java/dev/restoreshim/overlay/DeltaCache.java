package dev.restoreshim.overlay;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delta layers on the node, one per checkpoint digest, shared read-only by every restore of that
 * checkpoint.
 *
 * <p>Layout: {@code <dir>/<algo>-<hex>} is a complete layer extracted as a directory, and
 * {@code <dir>/<algo>-<hex>.erofs} one built as an EROFS image file ({@link Format}; the digest
 * {@code sha256:ab..} with the colon replaced, since a colon separates overlay lower dirs). A
 * layer is written as {@code <dir>/.tmp-<name>-<random>} and renamed into place, so a
 * half-written layer is never visible under its name; {@link #open} removes {@code .tmp-*} left
 * by a crash and {@code .del-*} left by an interrupted eviction.
 *
 * <p>Concurrency: {@link #acquire} of a digest that is being extracted waits for that extraction
 * (one extraction per digest, whatever the number of callers) and then shares it; a failed
 * extraction fails its waiters with the same error and leaves nothing. Each {@link Lease} holds a
 * reference; an entry with references is never evicted. The size cap (sum of regular file bytes)
 * is enforced after each extraction and release by evicting unreferenced entries, least recently
 * used first; when everything is leased the cache stays over the cap until leases close.
 */
public final class DeltaCache {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaCache.class);
    private static final Pattern DIGEST = Pattern.compile("([a-z0-9]+):([a-f0-9]{16,128})");
    private static final Pattern ENTRY = Pattern.compile("[a-z0-9]+-[a-f0-9]{16,128}");

    /** How a layer is stored. */
    public enum Format {
        /** A directory tree, used as an overlay lower dir as it is. */
        DIRECTORY(""),
        /** An EROFS image file, mounted to be used. */
        EROFS(".erofs");

        private final String suffix;

        Format(String suffix) {
            this.suffix = suffix;
        }
    }

    /**
     * Writes a complete layer at {@code path}: into it, an empty directory, for
     * {@link Format#DIRECTORY}; as a new file for {@link Format#EROFS}.
     */
    @FunctionalInterface
    public interface LayerWriter {
        void write(Path path) throws IOException;
    }

    private final Path dir;
    private final long maxBytes;
    private final Object lock = new Object();
    /** Guarded by {@code lock}: complete entries in access order (least recently used first). */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    /** Guarded by {@code lock}: extractions under way, by entry name. */
    private final Map<String, CompletableFuture<Void>> extracting = new HashMap<>();
    /** Guarded by {@code lock}: sum of entry sizes. */
    private long totalBytes;

    private static final class Entry {
        final String name;
        final Format format;
        final long bytes;
        int refs;

        Entry(String name, Format format, long bytes) {
            this.name = name;
            this.format = format;
            this.bytes = bytes;
        }
    }

    private DeltaCache(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /**
     * Opens (creating, mode 0700) the cache at {@code dir}: removes leftovers of a crash, indexes
     * the complete entries (oldest first) and evicts down to {@code maxBytes}.
     */
    public static DeltaCache open(Path dir, long maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        DeltaCache cache = new DeltaCache(dir, maxBytes);
        record Found(String name, Format format, long ctime) {
        }
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".tmp-") || name.startsWith(".del-")) {
                    LayerTree.removeTree(p);
                    LOG.info("msg=\"removed leftover\" path={}", p);
                } else {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (ENTRY.matcher(name).matches() && a.isDirectory()) {
                        found.add(new Found(name, Format.DIRECTORY, a.creationTime().to(TimeUnit.NANOSECONDS)));
                    } else if (name.endsWith(Format.EROFS.suffix) && a.isRegularFile() && ENTRY.matcher(
                            name.substring(0, name.length() - Format.EROFS.suffix.length())).matches()) {
                        found.add(new Found(name, Format.EROFS, a.creationTime().to(TimeUnit.NANOSECONDS)));
                    }
                }
            }
        }
        // creation times tie within one tick of the kernel's coarse clock: the name then decides,
        // so that the same directory always gives the same order
        found.sort(Comparator.comparingLong(Found::ctime).thenComparing(Found::name));
        List<Path> evicted;
        synchronized (cache.lock) {
            for (Found f : found) {
                Entry e = new Entry(f.name(), f.format(), sizeOf(dir.resolve(f.name())));
                cache.entries.put(f.name(), e);
                cache.totalBytes += e.bytes;
            }
            evicted = cache.evictLocked();
        }
        cache.delete(evicted);
        return cache;
    }

    /** The cache directory. */
    public Path dir() {
        return dir;
    }

    /** The directory name of a digest ({@code sha256:ab..} becomes {@code sha256-ab..}). */
    public static String entryName(String digest) {
        var m = DIGEST.matcher(Objects.requireNonNull(digest, "digest"));
        if (!m.matches()) {
            throw ShimException.invalidArgument("delta cache: digest \"" + digest + "\" is not algorithm:hex");
        }
        return m.group(1) + "-" + m.group(2);
    }

    /** A lease on the complete entry of {@code digest} in {@code format}, if there is one; nothing is written. */
    public java.util.Optional<Lease> lookup(String digest, Format format) {
        String name = entryName(digest) + format.suffix;
        synchronized (lock) {
            Entry e = entries.get(name);
            if (e == null) {
                return java.util.Optional.empty();
            }
            e.refs++;
            return java.util.Optional.of(new Lease(digest, e));
        }
    }

    /** {@link #acquire(String, Format, LayerWriter)} of a {@link Format#DIRECTORY} layer. */
    public Lease acquire(String digest, LayerWriter writer) {
        return acquire(digest, Format.DIRECTORY, writer);
    }

    /**
     * The layer of {@code digest} in {@code format}, written by {@code writer} if no complete entry
     * exists; the returned lease keeps it from eviction until closed. Concurrent callers for one
     * digest and format share one extraction.
     *
     * @throws ShimException from the writer (for every waiting caller), INTERNAL when the
     *     filesystem fails, CANCELLED when interrupted while waiting
     */
    public Lease acquire(String digest, Format format, LayerWriter writer) {
        String name = entryName(digest) + format.suffix;
        while (true) {
            CompletableFuture<Void> pending;
            boolean mine = false;
            synchronized (lock) {
                Entry e = entries.get(name);
                if (e != null) {
                    e.refs++;
                    return new Lease(digest, e);
                }
                pending = extracting.get(name);
                if (pending == null) {
                    pending = new CompletableFuture<>();
                    extracting.put(name, pending);
                    mine = true;
                }
            }
            if (mine) {
                return extract(digest, name, format, writer, pending);
            }
            await(pending, digest);
        }
    }

    private Lease extract(String digest, String name, Format format, LayerWriter writer,
                          CompletableFuture<Void> done) {
        Path tmp = dir.resolve(".tmp-" + name + "-" + UUID.randomUUID());
        long start = System.nanoTime();
        try {
            if (format == Format.DIRECTORY) {
                Files.createDirectory(tmp);
            }
            writer.write(tmp);
            long bytes = sizeOf(tmp);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            Entry e = new Entry(name, format, bytes);
            List<Path> evicted;
            synchronized (lock) {
                e.refs = 1;
                entries.put(name, e);
                totalBytes += bytes;
                extracting.remove(name);
                evicted = evictLocked();
            }
            done.complete(null);
            LOG.info("msg=\"delta extracted\" digest={} format={} bytes={} ms={}", digest,
                    format.name().toLowerCase(java.util.Locale.ROOT), bytes, (System.nanoTime() - start) / 1_000_000);
            delete(evicted);
            return new Lease(digest, e);
        } catch (IOException | RuntimeException e) {
            ShimException failure = e instanceof ShimException s ? s
                    : ShimException.internal("delta cache: extracting " + digest + " into " + tmp + ": " + e, e);
            abandon(name, tmp, done, failure);
            throw failure;
        } catch (Error e) {
            abandon(name, tmp, done, e);
            throw e;
        }
    }

    /** Removes a failed extraction's temporary directory and fails its waiters with {@code failure}. */
    private void abandon(String name, Path tmp, CompletableFuture<Void> done, Throwable failure) {
        try {
            LayerTree.removeTree(tmp);
        } catch (IOException | RuntimeException ce) {
            failure.addSuppressed(ce);
        }
        synchronized (lock) {
            extracting.remove(name);
        }
        done.completeExceptionally(failure);
    }

    private static void await(CompletableFuture<Void> pending, String digest) {
        try {
            pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShimException(ErrorKind.CANCELLED, "delta cache: interrupted waiting for extraction of " + digest);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ShimException s) {
                throw new ShimException(s.kind(), s.getMessage(), s);
            }
            throw ShimException.internal("delta cache: extraction of " + digest + " failed: " + e.getCause(), e.getCause());
        }
    }

    /** Sum of the complete entries' sizes. */
    public long sizeBytes() {
        synchronized (lock) {
            return totalBytes;
        }
    }

    /** The entry names present, least recently used first. */
    public List<String> entryNames() {
        synchronized (lock) {
            return List.copyOf(entries.keySet());
        }
    }

    private void release(Entry e) {
        List<Path> evicted;
        synchronized (lock) {
            e.refs--;
            entries.get(e.name); // a use: move to the most recently used end
            evicted = evictLocked();
        }
        delete(evicted);
    }

    /** Renames unreferenced entries out of the way (LRU first) until under the cap; caller deletes. */
    private List<Path> evictLocked() {
        List<Path> out = new ArrayList<>();
        var it = entries.values().iterator();
        while (totalBytes > maxBytes && it.hasNext()) {
            Entry e = it.next();
            if (e.refs > 0) {
                continue;
            }
            Path gone = dir.resolve(".del-" + e.name + "-" + UUID.randomUUID());
            try {
                Files.move(dir.resolve(e.name), gone, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException ex) {
                LOG.warn("msg=\"eviction failed\" entry={} error=\"{}\"", e.name, ex.toString());
                continue;
            }
            it.remove();
            totalBytes -= e.bytes;
            out.add(gone);
            LOG.info("msg=\"delta evicted\" entry={} bytes={}", e.name, e.bytes);
        }
        return out;
    }

    private void delete(List<Path> paths) {
        for (Path p : paths) {
            try {
                LayerTree.removeTree(p);
            } catch (IOException e) {
                LOG.warn("msg=\"delete failed, removed at next open\" path={} error=\"{}\"", p, e.toString());
            }
        }
    }

    private static long sizeOf(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.mapToLong(p -> {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    return a.isRegularFile() ? a.size() : 0;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** A reference to a complete layer; close it when the container using it is gone. */
    public final class Lease implements AutoCloseable {
        private final String digest;
        private final Entry entry;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Lease(String digest, Entry entry) {
            this.digest = digest;
            this.entry = entry;
        }

        /** The checkpoint digest. */
        public String digest() {
            return digest;
        }

        /**
         * The layer: a directory to be used as an overlay lower dir, or an EROFS image file to be
         * mounted ({@link #format()}); never written to.
         */
        public Path path() {
            return dir.resolve(entry.name);
        }

        /** How the layer is stored. */
        public Format format() {
            return entry.format;
        }

        /** Drops the reference (once; later calls do nothing). */
        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                release(entry);
            }
        }
    }
}
