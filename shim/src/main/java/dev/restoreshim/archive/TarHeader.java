package dev.restoreshim.archive;

import java.nio.charset.StandardCharsets;

/**
 * One 512-byte tar header block, parsed (ustar, GNU and v7 layouts):
 *
 * <pre>
 *   0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]  136 mtime[12]
 * 148 chksum[8]  156 typeflag  157 linkname[100]  257 magic[6] "ustar\0" (GNU: "ustar ")
 * 263 version[2] 265 uname[32] 297 gname[32] 329 devmajor[8] 337 devminor[8] 345 prefix[155] (ustar only)
 * </pre>
 *
 * Numbers are octal text, or base-256 when the first byte has its high bit set (GNU, large sizes).
 *
 * @param name name field, joined with the ustar prefix
 * @param mode mode bits
 * @param size declared data size
 * @param typeflag the type byte
 * @param linkName link target field
 * @param devMajor device major
 * @param devMinor device minor
 */
record TarHeader(String name, int mode, long size, byte typeflag, String linkName, int devMajor, int devMinor) {
    static final int BLOCK = 512;

    /** True when the block is all zeros (end-of-archive marker). */
    static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** True when the block's checksum field matches its bytes: the block is a tar header. */
    static boolean checksumMatches(byte[] b) {
        long stored;
        try {
            stored = number(b, 148, 8);
        } catch (NumberFormatException e) {
            return false;
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            byte v = i >= 148 && i < 156 ? (byte) ' ' : b[i];
            unsigned += v & 0xff;
            signed += v;
        }
        return stored == unsigned || stored == signed;
    }

    /**
     * Parses a header block whose checksum was checked.
     *
     * @throws NumberFormatException when a numeric field is not a number
     */
    static TarHeader parse(byte[] b) {
        String name = text(b, 0, 100);
        boolean ustar = b[257] == 'u' && b[258] == 's' && b[259] == 't' && b[260] == 'a' && b[261] == 'r';
        boolean posix = ustar && b[262] == 0;
        if (posix && b[345] != 0) {
            name = text(b, 345, 155) + "/" + name;
        }
        int mode = (int) (number(b, 100, 8) & 07777);
        long size = number(b, 124, 12);
        int major = ustar ? (int) number(b, 329, 8) : 0;
        int minor = ustar ? (int) number(b, 337, 8) : 0;
        return new TarHeader(name, mode, size, b[156], text(b, 157, 100), major, minor);
    }

    /** A NUL-terminated UTF-8 text field. */
    static String text(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** An octal (space/NUL padded) or base-256 number field. */
    static long number(byte[] b, int off, int len) {
        if ((b[off] & 0x80) != 0) {
            if ((b[off] & 0x40) != 0) {
                throw new NumberFormatException("negative base-256 number");
            }
            long v = b[off] & 0x3f;
            for (int i = off + 1; i < off + len; i++) {
                if ((v >>> 55) != 0) {
                    throw new NumberFormatException("base-256 number too large");
                }
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        int i = off;
        int end = off + len;
        while (i < end && (b[i] == ' ' || b[i] == 0)) {
            i++;
        }
        long v = 0;
        int digits = 0;
        for (; i < end && b[i] >= '0' && b[i] <= '7'; i++, digits++) {
            v = (v << 3) | (b[i] - '0');
        }
        for (; i < end; i++) {
            if (b[i] != ' ' && b[i] != 0) {
                throw new NumberFormatException("bad octal digit at byte " + i);
            }
        }
        return v;
    }
}
