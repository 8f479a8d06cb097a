package dev.restoreshim.archive;

/**
 * The outer (or a member's) compression, told by magic bytes: gzip {@code 1f 8b}, zstd
 * {@code 28 b5 2f fd}, or an uncompressed tar (a header block whose checksum matches).
 */
public enum Compression {
    NONE,
    GZIP,
    ZSTD;

    /** Bytes {@link #detect} needs to tell a tar: one header block. */
    static final int PROBE_BYTES = TarHeader.BLOCK;

    /**
     * The compression of data starting with {@code head[0..length)}, or null when it is neither gzip,
     * zstd nor a tar header.
     */
    static Compression detect(byte[] head, int length) {
        if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        if (length >= TarHeader.BLOCK && TarHeader.checksumMatches(head)) {
            return NONE;
        }
        return null;
    }

    /** What a magic looks like, for error messages about unknown formats. */
    static String describe(byte[] head, int length) {
        if (length == 0) {
            return "empty file";
        }
        StringBuilder b = new StringBuilder("starts with");
        for (int i = 0; i < Math.min(length, 6); i++) {
            b.append(String.format(" %02x", head[i] & 0xff));
        }
        if (length >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') {
            b.append(" (bzip2)");
        } else if (length >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z') {
            b.append(" (xz)");
        }
        return b.toString();
    }
}
