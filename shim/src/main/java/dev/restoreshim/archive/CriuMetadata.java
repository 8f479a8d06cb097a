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
        int[] entry = firstEntry(img, 4);
        if (entry == null) {
            return 0;
        }
        Long v = varintField(img, entry[0], entry[1], 1);
        return v == null ? 0 : v.intValue();
    }

    /**
     * The dump statistics of a {@code stats-dump} image: two magics (service, stats), then one entry
     * holding {@code stats_entry}, whose field 1 is {@code dump_stats_entry} (times in microseconds:
     * 1 freezing, 2 frozen, 3 memdump, 4 memwrite; 5 pages scanned, 7 pages written). Null when the
     * bytes are not such an image.
     */
    static DumpStats dumpStats(byte[] img) {
        int[] entry = firstEntry(img, 8);
        if (entry == null) {
            return null;
        }
        int[] dump = lengthField(img, entry[0], entry[1], 1);
        if (dump == null) {
            return null;
        }
        return new DumpStats(field(img, dump, 1), field(img, dump, 2), field(img, dump, 3), field(img, dump, 4),
                field(img, dump, 5), field(img, dump, 7));
    }

    private static long field(byte[] b, int[] range, int number) {
        Long v = varintField(b, range[0], range[1], number);
        return v == null ? 0 : v;
    }

    /** {start, end} of the first entry after {@code magicBytes} of magic: a little-endian u32 size, then the message. */
    private static int[] firstEntry(byte[] img, int magicBytes) {
        if (img.length < magicBytes + 4) {
            return null;
        }
        int p = magicBytes;
        long size = (img[p] & 0xffL) | (img[p + 1] & 0xffL) << 8 | (img[p + 2] & 0xffL) << 16 | (img[p + 3] & 0xffL) << 24;
        if (size > img.length - p - 4) {
            return null;
        }
        return new int[] {p + 4, p + 4 + (int) size};
    }

    /** The value of varint field {@code number} in {@code b[pos, end)}, or null. */
    private static Long varintField(byte[] b, int pos, int end, int number) {
        long[] hit = find(b, pos, end, number, 0);
        return hit == null ? null : hit[0];
    }

    /** {start, end} of length-delimited field {@code number} in {@code b[pos, end)}, or null. */
    private static int[] lengthField(byte[] b, int pos, int end, int number) {
        long[] hit = find(b, pos, end, number, 2);
        return hit == null ? null : new int[] {(int) hit[1], (int) (hit[1] + hit[0])};
    }

    /** Walks protobuf fields; returns {value or length, position after it} of the wanted field, or null. */
    private static long[] find(byte[] b, int pos, int end, int number, int wantedWire) {
        while (pos < end) {
            long[] tag = varint(b, pos, end);
            if (tag == null) {
                return null;
            }
            pos = (int) tag[1];
            int wire = (int) (tag[0] & 7);
            boolean wanted = (tag[0] >>> 3) == number && wire == wantedWire;
            switch (wire) {
                case 0, 2 -> {
                    long[] v = varint(b, pos, end);
                    if (v == null || (wire == 2 && v[0] > end - v[1])) {
                        return null;
                    }
                    if (wanted) {
                        return v;
                    }
                    pos = (int) (wire == 2 ? v[1] + v[0] : v[1]);
                }
                case 1 -> pos += 8;
                case 5 -> pos += 4;
                default -> {
                    return null;
                }
            }
        }
        return null;
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
