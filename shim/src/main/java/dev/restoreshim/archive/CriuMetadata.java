package dev.restoreshim.archive;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Facts read from small CRIU files. {@code inventory.img} is a CRIU protobuf image: a 32-bit
 * magic (the inventory has no common magic in front), then entries of a little-endian 32-bit size
 * and a packed {@code inventory_entry}, whose field 1 is {@code img_version}. CRIU writes its own
 * version on the first lines of {@code dump.log} ({@code Version: 4.1.1 (gitid ...)}).
 */
final class CriuMetadata {
    private static final Pattern VERSION = Pattern.compile("Version: (\\S+)");

    private CriuMetadata() {
    }

    /** {@code img_version} of an inventory image, or 0 when the bytes are not one. */
    static int imageFormatVersion(byte[] img) {
        if (img.length < 8) {
            return 0;
        }
        long size = (img[4] & 0xffL) | (img[5] & 0xffL) << 8 | (img[6] & 0xffL) << 16 | (img[7] & 0xffL) << 24;
        if (size > img.length - 8) {
            return 0;
        }
        int pos = 8;
        int end = 8 + (int) size;
        while (pos < end) {
            long[] tag = varint(img, pos, end);
            if (tag == null) {
                return 0;
            }
            pos = (int) tag[1];
            int field = (int) (tag[0] >>> 3);
            int wire = (int) (tag[0] & 7);
            switch (wire) {
                case 0 -> {
                    long[] v = varint(img, pos, end);
                    if (v == null) {
                        return 0;
                    }
                    if (field == 1) {
                        return (int) v[0];
                    }
                    pos = (int) v[1];
                }
                case 2 -> {
                    long[] len = varint(img, pos, end);
                    if (len == null || len[0] > end - len[1]) {
                        return 0;
                    }
                    pos = (int) (len[1] + len[0]);
                }
                case 1 -> pos += 8;
                case 5 -> pos += 4;
                default -> {
                    return 0;
                }
            }
        }
        return 0;
    }

    /** The CRIU version named in the head of a {@code dump.log}, or "". */
    static String versionFromLog(byte[] head) {
        Matcher m = VERSION.matcher(new String(head, StandardCharsets.UTF_8));
        return m.find() ? m.group(1) : "";
    }

    /** {value, next position} of the varint at {@code pos}, or null when it runs past {@code end}. */
    private static long[] varint(byte[] b, int pos, int end) {
        long v = 0;
        for (int shift = 0; shift < 64 && pos < end; shift += 7) {
            byte x = b[pos++];
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return new long[] {v, pos};
            }
        }
        return null;
    }
}
