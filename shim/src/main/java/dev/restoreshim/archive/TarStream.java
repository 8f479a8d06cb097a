package dev.restoreshim.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Predicate;

/**
 * Reads a tar front to back, once: for a compressed archive, or for a tar that is itself a member
 * of a compressed archive. Each entry is checked by the {@link EntryPolicy}; those that
 * {@code wanted} accepts are handed to the {@link EntryConsumer} with a bounded stream of their
 * data, the others are skipped. Nothing is written anywhere. After the tar's end marker the stream
 * is read to its end, so that a decompressor checks its trailer (gzip's CRC-32 and length, zstd's
 * content checksum): a corrupt compressed archive fails the pass instead of handing on garbled
 * data (random memory pages are stored uncompressed by deflate, where only the CRC notices).
 */
public final class TarStream {
    private TarStream() {
    }

    /**
     * Runs one pass.
     *
     * @param archive the archive's name, for messages
     * @param tar the uncompressed tar bytes (not closed here)
     * @return the number of entries seen
     * @throws dev.restoreshim.errors.ShimException on a policy violation, a truncated or corrupt
     *     archive, or an I/O error (the consumer's own {@code ShimException}s pass unchanged)
     */
    public static long read(String archive, InputStream tar, EntryPolicy policy, Predicate<TarEntry> wanted,
                            EntryConsumer consumer) {
        TarEntryReader reader = new TarEntryReader(archive, TarSource.stream(tar), policy);
        TarEntry entry;
        while ((entry = reader.next()) != null) {
            if (!wanted.test(entry)) {
                continue;
            }
            try {
                consumer.accept(entry, new FilterInputStream(reader.data()) {
                    @Override
                    public void close() {
                        // the pass owns the stream
                    }
                });
            } catch (IOException e) {
                throw ArchiveErrors.io(archive, entry.name(), e);
            }
        }
        try {
            tar.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw ArchiveErrors.io(archive, null, e);
        }
        return reader.count();
    }
}
