package dev.restoreshim.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns the header blocks of a {@link TarSource} into policed {@link TarEntry}s: applies GNU long
 * names ({@code L}, {@code K}) and PAX records ({@code x}: {@code path}, {@code linkpath},
 * {@code size}), skips global PAX records ({@code g}), refuses sparse and unknown types, checks
 * every entry with the {@link EntryPolicy}. Data the caller did not read is skipped before the next
 * header, so on a {@link TarSource.Region} no data is ever read.
 *
 * <p>Not thread-safe: one reader per pass.
 */
final class TarEntryReader {
    /** Largest GNU long-name or PAX record payload accepted. */
    static final int MAX_META_BYTES = 1 << 20;
    /** Most long-name and PAX records accepted in front of one entry. */
    static final int MAX_RECORDS_PER_ENTRY = 8;

    private final String archive;
    private final TarSource source;
    private final EntryPolicy policy;
    private final byte[] block = new byte[TarHeader.BLOCK];
    private long count;
    private TarEntry current;
    private long unread;
    private boolean ended;

    TarEntryReader(String archive, TarSource source, EntryPolicy policy) {
        this.archive = archive;
        this.source = source;
        this.policy = policy;
    }

    /**
     * The next entry, or null at the end of the archive (a zero block or the end of the bytes). The
     * root directory entry ({@code ./}) is counted but not returned.
     */
    TarEntry next() {
        try {
            skipRest();
            if (ended) {
                return null;
            }
            String longName = null;
            String longLink = null;
            Map<String, String> pax = Map.of();
            int records = 0;
            while (true) {
                long headerAt = source.position();
                int got = source.read(block, 0, TarHeader.BLOCK);
                if (got == 0 || (got == TarHeader.BLOCK && TarHeader.isZero(block))) {
                    ended = true;
                    if (longName != null || !pax.isEmpty()) {
                        throw ArchiveErrors.invalid(archive, longName, "archive ends after a long-name or PAX record");
                    }
                    return null;
                }
                if (got < TarHeader.BLOCK) {
                    throw ArchiveErrors.invalid(archive, null, "truncated archive: header at offset " + headerAt
                            + " has " + got + " of " + TarHeader.BLOCK + " bytes");
                }
                TarHeader h = header(headerAt);
                if (++records > MAX_RECORDS_PER_ENTRY) {
                    throw ArchiveErrors.invalid(archive, h.name(), "more than " + MAX_RECORDS_PER_ENTRY
                            + " long-name or PAX records in a row");
                }
                switch (h.typeflag()) {
                    case 'L' -> longName = trimNul(meta(h));
                    case 'K' -> longLink = trimNul(meta(h));
                    case 'x' -> pax = paxRecords(h, meta(h));
                    case 'g' -> skipData(h.name(), h.size());
                    default -> {
                        TarEntry e = entry(h, longName, longLink, pax);
                        if (e != null) {
                            return e;
                        }
                        skipRest(); // "./", the root itself: nothing to index, read on
                        longName = null;
                        longLink = null;
                        pax = Map.of();
                        records = 0;
                    }
                }
            }
        } catch (IOException e) {
            throw ArchiveErrors.io(archive, current == null ? null : current.name(), e);
        }
    }

    /**
     * A stream over the data of the entry {@link #next()} returned last. It ends after the declared
     * size; if the source ends first it fails naming the entry and the bytes expected and read.
     */
    InputStream data() {
        TarEntry entry = current;
        return new InputStream() {
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
                if (entry != current || unread == 0) {
                    return -1;
                }
                int got = source.read(b, off, (int) Math.min(len, unread));
                if (got <= 0) {
                    throw truncated(entry, entry.size() - unread);
                }
                unread -= got;
                return got;
            }
        };
    }

    /** Entries returned so far (the root directory entry {@code ./} included). */
    long count() {
        return count;
    }

    private TarHeader header(long at) {
        if (!TarHeader.checksumMatches(block)) {
            throw ArchiveErrors.invalid(archive, null, "not a tar header at offset " + at + " (checksum mismatch)");
        }
        try {
            return TarHeader.parse(block);
        } catch (NumberFormatException e) {
            throw ArchiveErrors.invalid(archive, TarHeader.text(block, 0, 100), "bad number in tar header at offset "
                    + at + ": " + e.getMessage());
        }
    }

    private TarEntry entry(TarHeader h, String longName, String longLink, Map<String, String> pax) throws IOException {
        String raw = pax.getOrDefault("path", longName != null ? longName : h.name());
        String link = pax.getOrDefault("linkpath", longLink != null ? longLink : h.linkName());
        long size = h.size();
        if (pax.containsKey("size")) {
            size = paxSize(raw, pax.get("size"));
        }
        policy.checkCount(archive, raw, ++count);
        String name = policy.checkName(archive, raw);
        EntryType type = EntryType.ofFlag(h.typeflag());
        if (type == null) {
            throw ArchiveErrors.invalid(archive, raw, "unsupported tar entry type '" + (char) h.typeflag() + "'");
        }
        if (name.isEmpty() && type != EntryType.DIRECTORY) {
            throw ArchiveErrors.invalid(archive, raw, "empty name");
        }
        policy.checkType(archive, name, type, h.devMajor(), h.devMinor());
        if (type == EntryType.SYMLINK || type == EntryType.HARDLINK) {
            policy.checkLink(archive, name, type, link);
        } else {
            link = "";
        }
        if (type != EntryType.FILE) {
            size = 0; // header-only types carry no data, whatever the size field says
        }
        policy.checkSize(archive, name, size, source.remaining());
        current = new TarEntry(name, type, h.mode(), size, source.position(), link,
                type == EntryType.CHAR_DEVICE || type == EntryType.BLOCK_DEVICE ? h.devMajor() : 0,
                type == EntryType.CHAR_DEVICE || type == EntryType.BLOCK_DEVICE ? h.devMinor() : 0);
        unread = size;
        return name.isEmpty() ? null : current;
    }

    private void skipRest() throws IOException {
        if (current != null) {
            if (unread > 0) {
                long skipped = source.skip(unread);
                if (skipped < unread) {
                    throw truncated(current, current.size() - unread + skipped);
                }
                unread = 0;
            }
            skipPadding(current.size());
            current = null;
        }
    }

    private void skipPadding(long size) throws IOException {
        long pad = (TarHeader.BLOCK - size % TarHeader.BLOCK) % TarHeader.BLOCK;
        source.skip(pad); // a missing final padding is tolerated; the next header read notices the end
    }

    private byte[] meta(TarHeader h) throws IOException {
        if (h.size() > MAX_META_BYTES) {
            throw ArchiveErrors.exhausted(archive, h.name(), "long-name or PAX record of " + h.size()
                    + " bytes exceeds " + MAX_META_BYTES);
        }
        byte[] data = new byte[(int) h.size()];
        int got = source.read(data, 0, data.length);
        if (got < data.length) {
            throw ArchiveErrors.invalid(archive, h.name(), "truncated archive: record declares " + data.length
                    + " bytes, " + got + " present");
        }
        skipPadding(h.size());
        return data;
    }

    private void skipData(String name, long size) throws IOException {
        if (source.skip(size) < size) {
            throw ArchiveErrors.invalid(archive, name, "truncated archive inside a global PAX record");
        }
        skipPadding(size);
    }

    private Map<String, String> paxRecords(TarHeader h, byte[] data) {
        Map<String, String> out = new HashMap<>();
        int pos = 0;
        while (pos < data.length) {
            int space = pos;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw ArchiveErrors.invalid(archive, h.name(), "malformed PAX record at byte " + pos);
            }
            int end = pos + len;
            if (len <= space - pos + 1 || end > data.length || data[end - 1] != '\n') {
                throw ArchiveErrors.invalid(archive, h.name(), "malformed PAX record at byte " + pos);
            }
            String kv = new String(data, space + 1, end - space - 2, StandardCharsets.UTF_8);
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw ArchiveErrors.invalid(archive, h.name(), "malformed PAX record at byte " + pos);
            }
            String key = kv.substring(0, eq);
            if (key.startsWith("GNU.sparse")) {
                throw ArchiveErrors.invalid(archive, h.name(), "sparse files are not supported");
            }
            out.put(key, kv.substring(eq + 1));
            pos = end;
        }
        return out;
    }

    private long paxSize(String name, String value) {
        try {
            long v = Long.parseLong(value);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ArchiveErrors.invalid(archive, name, "bad PAX size \"" + ArchiveErrors.printable(value) + "\"");
    }

    private java.io.EOFException truncated(TarEntry entry, long present) {
        return new TruncatedEntryException(ArchiveErrors.message(archive, entry.name(), "truncated archive: entry declares "
                + entry.size() + " bytes, " + present + " present"));
    }

    private static String trimNul(byte[] data) {
        int end = data.length;
        while (end > 0 && data[end - 1] == 0) {
            end--;
        }
        return new String(data, 0, end, StandardCharsets.UTF_8);
    }

    /** Truncation found while reading data; its message is already complete. */
    static final class TruncatedEntryException extends java.io.EOFException {
        TruncatedEntryException(String message) {
            super(message);
        }
    }
}
