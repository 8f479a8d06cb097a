package dev.restoreshim.archive;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The index of an uncompressed tar held in a file: entry name to {@link TarEntry} (data offset,
 * size, type, mode, link target), built by one scan of the headers that seeks over the data and never
 * reads it. Members are then read by offset through bounded streams, or copied channel to channel.
 * The tar may start anywhere in the file, which is how a plain {@code rootfs-diff.tar} inside an
 * uncompressed checkpoint archive is indexed in place.
 *
 * <p>Immutable after {@link #scan}; reads use positional I/O, so one index may be read from many
 * threads. It does not own the channel.
 */
public final class TarIndex {
    private final String archive;
    private final FileChannel channel;
    private final long base;
    private final long length;
    private final Map<String, TarEntry> entries;

    private TarIndex(String archive, FileChannel channel, long base, long length, Map<String, TarEntry> entries) {
        this.archive = archive;
        this.channel = channel;
        this.base = base;
        this.length = length;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Scans the tar at {@code [base, base+length)} of {@code channel}.
     *
     * @param archive the archive's name, for messages
     * @throws ShimException when the {@link EntryPolicy} refuses an entry, a header is corrupt or the
     *     archive is truncated
     */
    public static TarIndex scan(String archive, FileChannel channel, long base, long length, EntryPolicy policy) {
        TarEntryReader reader = new TarEntryReader(archive, TarSource.region(channel, base, length), policy);
        Map<String, TarEntry> byName = new LinkedHashMap<>();
        TarEntry e;
        while ((e = reader.next()) != null) {
            byName.remove(e.name()); // a later member of the same name replaces the earlier one, as tar extracts
            byName.put(e.name(), e);
        }
        return new TarIndex(archive, channel, base, length, byName);
    }

    /** The archive name used in messages. */
    public String archive() {
        return archive;
    }

    /** Length in bytes of the indexed tar. */
    public long length() {
        return length;
    }

    public Optional<TarEntry> entry(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** All entries in archive order. */
    public List<TarEntry> entries() {
        return new ArrayList<>(entries.values());
    }

    /** Where the entry's data starts in the file (for callers that map or copy ranges themselves). */
    public long fileOffset(TarEntry entry) {
        return base + entry.dataOffset();
    }

    /** A stream of the named member's data; NOT_FOUND when there is no such member. */
    public InputStream open(String name) {
        return open(entry(name).orElseThrow(() -> ShimException.notFound(
                ArchiveErrors.message(archive, name, "no such entry"))));
    }

    /** A stream of exactly {@code entry.size()} bytes read by offset; fails if the file was cut short. */
    public InputStream open(TarEntry entry) {
        return new RangeStream(entry);
    }

    /**
     * Copies the entry's data to {@code target} with {@link FileChannel#transferTo} (in-kernel copy
     * where the platform has one); returns the bytes copied.
     */
    public long transferTo(TarEntry entry, WritableByteChannel target) {
        long done = 0;
        try {
            while (done < entry.size()) {
                long n = channel.transferTo(fileOffset(entry) + done, entry.size() - done, target);
                if (n <= 0) {
                    throw ArchiveErrors.invalid(archive, entry.name(), "truncated archive: entry declares "
                            + entry.size() + " bytes, " + done + " present");
                }
                done += n;
            }
            return done;
        } catch (IOException e) {
            throw ArchiveErrors.io(archive, entry.name(), e);
        }
    }

    /**
     * Indexes a plain tar that is itself a member of this one (CRI-O's {@code rootfs-diff.tar}), in
     * place: no byte of it is copied.
     *
     * @param name how the nested tar is named in messages, e.g. {@code /x.tar!rootfs-diff.tar}
     */
    public TarIndex nested(TarEntry entry, String name, EntryPolicy policy) {
        return scan(name, channel, fileOffset(entry), entry.size(), policy);
    }

    /** Positional reads of one member; closing does not close the channel. */
    private final class RangeStream extends InputStream {
        private final TarEntry entry;
        private long pos;

        RangeStream(TarEntry entry) {
            this.entry = entry;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos >= entry.size()) {
                return -1;
            }
            int want = (int) Math.min(len, entry.size() - pos);
            int n = channel.read(ByteBuffer.wrap(b, off, want), fileOffset(entry) + pos);
            if (n <= 0) {
                throw new TarEntryReader.TruncatedEntryException(ArchiveErrors.message(archive, entry.name(),
                        "truncated archive: entry declares " + entry.size() + " bytes, " + pos + " present"));
            }
            pos += n;
            return n;
        }

        @Override
        public long skip(long n) {
            long s = Math.max(0, Math.min(n, entry.size() - pos));
            pos += s;
            return s;
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, entry.size() - pos);
        }
    }
}
