package dev.restoreshim.archive;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Predicate;

/**
 * A checkpoint archive opened for reading, never unpacked.
 *
 * <p>{@link #open} detects the outer {@link Compression} by magic bytes. An uncompressed archive (CRI-O,
 * containerd CRI) is indexed at once by one scan of its headers ({@link #index()}); its members are
 * read by offset. A gzip or zstd archive (Podman's export) cannot be indexed: each
 * {@link #forEach pass} decompresses it once, front to back, and hands the wanted members to a
 * callback. Every entry passes the {@link EntryPolicy} in both cases.
 *
 * <p>Thread safety: indexed reads are positional and may run concurrently; passes over a compressed
 * archive are serialized on this object. The archive owns its file channel until {@link #close()}.
 */
public final class CheckpointArchive implements AutoCloseable {
    private final Path path;
    private final String name;
    private final FileChannel channel;
    private final long size;
    private final Compression compression;
    private final EntryPolicy policy;
    private final TarIndex index;

    private CheckpointArchive(Path path, FileChannel channel, long size, Compression compression, EntryPolicy policy,
                              TarIndex index) {
        this.path = path;
        this.name = path.toString();
        this.channel = channel;
        this.size = size;
        this.compression = compression;
        this.policy = policy;
        this.index = index;
    }

    /**
     * Opens {@code path}, detects its compression and, when it is an uncompressed tar, indexes it.
     *
     * @throws ShimException NOT_FOUND when the file does not exist; INVALID_ARGUMENT when it is not a
     *     tar, gzip or zstd file, or an entry breaks the policy, or it is truncated;
     *     RESOURCE_EXHAUSTED when a cap is reached
     */
    public static CheckpointArchive open(Path path, EntryPolicy policy) {
        String name = path.toString();
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw ShimException.notFound(ArchiveErrors.message(name, null, "no such file"));
        } catch (AccessDeniedException e) {
            throw ShimException.failedPrecondition(ArchiveErrors.message(name, null, "permission denied"));
        } catch (IOException e) {
            throw ShimException.invalidArgument(ArchiveErrors.message(name, null, "cannot open: " + e.getMessage()));
        }
        try {
            long size = channel.size();
            byte[] head = new byte[Compression.PROBE_BYTES];
            int n = Math.max(0, channel.read(ByteBuffer.wrap(head), 0));
            Compression compression = Compression.detect(head, n);
            if (compression == null) {
                throw ArchiveErrors.invalid(name, null, "not a tar, gzip or zstd archive (" + Compression.describe(head, n) + ")");
            }
            TarIndex index = compression == Compression.NONE ? TarIndex.scan(name, channel, 0, size, policy) : null;
            return new CheckpointArchive(path, channel, size, compression, policy, index);
        } catch (IOException e) {
            throw closeAfter(channel, ArchiveErrors.io(name, null, e));
        } catch (RuntimeException e) {
            throw closeAfter(channel, e);
        }
    }

    /** Closes the channel of a failed open; a close error is attached to {@code failure}. */
    private static RuntimeException closeAfter(FileChannel channel, RuntimeException failure) {
        try {
            channel.close();
        } catch (IOException closeError) {
            failure.addSuppressed(closeError);
        }
        return failure;
    }

    public Path path() {
        return path;
    }

    /** Size of the archive file in bytes. */
    public long size() {
        return size;
    }

    public Compression compression() {
        return compression;
    }

    public EntryPolicy policy() {
        return policy;
    }

    /** True when the archive is an uncompressed tar, indexed and readable by offset. */
    public boolean indexed() {
        return index != null;
    }

    /** The header index; FAILED_PRECONDITION for a compressed archive, which has none. */
    public TarIndex index() {
        if (index == null) {
            throw ShimException.failedPrecondition(ArchiveErrors.message(name, null,
                    "a " + compression.name().toLowerCase() + " archive has no index; read it with forEach"));
        }
        return index;
    }

    /**
     * One pass over the archive: every entry that {@code wanted} accepts is given to
     * {@code consumer}, in archive order. For an indexed archive the data is read by offset and the
     * other entries cost nothing; for a compressed one the archive is decompressed once.
     */
    public void forEach(Predicate<TarEntry> wanted, EntryConsumer consumer) {
        if (index != null) {
            for (TarEntry e : index.entries()) {
                if (wanted.test(e)) {
                    try (InputStream data = index.open(e)) {
                        consumer.accept(e, data);
                    } catch (IOException ex) {
                        throw ArchiveErrors.io(name, e.name(), ex);
                    }
                }
            }
            return;
        }
        stream(wanted, consumer);
    }

    /**
     * One pass over the entries of the filesystem delta ({@code rootfs-diff.tar}), read straight out
     * of the archive: indexed in place when it is a plain tar inside an uncompressed archive, else
     * streamed (gunzipped as needed, under the inflation limits). The delta's entries are policed
     * like the archive's. Returns false when the archive has no delta.
     *
     * @param format the delta's format (from {@link #summary} or {@link ArchiveFlavour#deltaFormat})
     */
    public boolean forEachDeltaEntry(DeltaFormat format, Predicate<TarEntry> wanted, EntryConsumer consumer) {
        String nestedName = name + "!" + SummaryCollector.DELTA;
        EntryPolicy deltaPolicy = policy.withWhiteoutDevices(format.allowsWhiteoutDevices());
        boolean[] found = new boolean[1];
        forEach(e -> e.name().equals(SummaryCollector.DELTA) && e.isFile(), (entry, data) -> {
            found[0] = true;
            PushbackInputStream in = new PushbackInputStream(data, Compression.PROBE_BYTES);
            byte[] head = in.readNBytes(Compression.PROBE_BYTES);
            in.unread(head);
            Compression c = entry.size() == 0 ? Compression.NONE : Compression.detect(head, head.length);
            if (c == null) {
                throw ArchiveErrors.invalid(name, entry.name(), "neither a tar nor gzip nor zstd ("
                        + Compression.describe(head, head.length) + ")");
            }
            if (entry.size() == 0) {
                return;
            }
            if (c == Compression.NONE && index != null) {
                TarIndex nested = index.nested(entry, nestedName, deltaPolicy);
                for (TarEntry d : nested.entries()) {
                    if (wanted.test(d)) {
                        try (InputStream dd = nested.open(d)) {
                            consumer.accept(d, dd);
                        }
                    }
                }
                return;
            }
            TarStream.read(nestedName, InflationLimit.open(c, in, name, entry.name(), policy), deltaPolicy, wanted, consumer);
        });
        return found[0];
    }

    /**
     * The filesystem delta ({@code rootfs-diff.tar}) as one decompressed tar stream, given to
     * {@code consumer} (the entry is the outer member). Gzip and zstd deltas are inflated under the
     * policy's inflation limits; the delta's own entries are not parsed here (the consumer, an
     * extractor, polices them). What the consumer leaves unread is read here, so that a compressed
     * delta's trailer (CRC) is checked. Returns false when the archive has no delta.
     */
    public boolean readDelta(EntryConsumer consumer) {
        boolean[] found = new boolean[1];
        forEach(e -> e.name().equals(SummaryCollector.DELTA) && e.isFile(), (entry, data) -> {
            found[0] = true;
            if (entry.size() == 0) {
                return;
            }
            PushbackInputStream in = new PushbackInputStream(data, Compression.PROBE_BYTES);
            byte[] head = in.readNBytes(Compression.PROBE_BYTES);
            in.unread(head);
            Compression c = Compression.detect(head, head.length);
            if (c == null) {
                throw ArchiveErrors.invalid(name, entry.name(), "neither a tar nor gzip nor zstd ("
                        + Compression.describe(head, head.length) + ")");
            }
            InputStream delta = c == Compression.NONE ? in : InflationLimit.open(c, in, name, entry.name(), policy);
            consumer.accept(entry, delta);
            delta.transferTo(java.io.OutputStream.nullOutputStream()); // a compressed delta's trailer is checked at its end
        });
        return found[0];
    }

    /**
     * The paths listed in {@code deleted.files} (CRI-O, Podman), normalized and policed; empty when
     * the archive has none. Costs one pass for a compressed archive.
     */
    public java.util.List<String> deletedFiles() {
        String[] text = new String[1];
        forEach(e -> e.name().equals("deleted.files") && e.isFile(), (e, data) -> {
            if (e.size() > SummaryCollector.MAX_METADATA_BYTES) {
                throw ArchiveErrors.exhausted(name, e.name(), "is " + e.size() + " bytes, more than "
                        + SummaryCollector.MAX_METADATA_BYTES);
            }
            text[0] = new String(data.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        });
        return text[0] == null ? java.util.List.of() : DeletedFiles.parse(name, text[0], policy);
    }

    /**
     * What the archive holds, from headers and small members only.
     *
     * @param countCompressedDelta decompress a gzip delta (containerd) to count its entries; only
     *     done for an uncompressed outer archive, otherwise the delta's size alone is reported
     */
    public CheckpointSummary summary(boolean countCompressedDelta) {
        SummaryCollector collector = new SummaryCollector(name, policy, index, countCompressedDelta);
        if (index != null) {
            forEach(e -> true, collector);
            return collector.build(size, compression, index.entries().size());
        }
        long count = stream(e -> true, collector);
        return collector.build(size, compression, count);
    }

    private synchronized long stream(Predicate<TarEntry> wanted, EntryConsumer consumer) {
        try {
            channel.position(0);
        } catch (IOException e) {
            throw ArchiveErrors.io(name, null, e);
        }
        InputStream raw = new java.io.FilterInputStream(Channels.newInputStream(channel)) {
            @Override
            public void close() {
                // the archive owns the channel
            }
        };
        try (InputStream tar = InflationLimit.open(compression, raw, name, null, policy)) {
            return TarStream.read(name, tar, policy, wanted, consumer);
        } catch (IOException e) {
            throw ArchiveErrors.io(name, null, e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw ArchiveErrors.io(name, null, e);
        }
    }
}
