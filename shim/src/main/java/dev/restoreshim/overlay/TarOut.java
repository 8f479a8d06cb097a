package dev.restoreshim.overlay;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a POSIX (pax) tar stream, the input {@code mkfs.erofs --tar=f} turns into a layer image.
 * Each entry is one ustar header, preceded by a pax extended header ({@code x}) when a field does
 * not fit ustar: a name or link target over 100 bytes or not ASCII, a size, id or time too large
 * for its octal field, and extended attributes ({@code SCHILY.xattr.NAME}, the value as raw bytes,
 * which a pax record allows because it carries its own length). Commons Compress writes pax
 * values as UTF-8 text, which would corrupt binary attribute values, hence this small writer.
 * Not thread-safe.
 */
final class TarOut {
    static final char FILE = '0';
    static final char HARDLINK = '1';
    static final char SYMLINK = '2';
    static final char CHAR_DEVICE = '3';
    static final char DIRECTORY = '5';
    static final char FIFO = '6';

    private static final int BLOCK = 512;
    private static final long MAX_OCTAL_11 = 077777777777L;
    private static final long MAX_OCTAL_7 = 07777777L;

    /**
     * One entry's header.
     *
     * @param name the path, relative, without a trailing slash ({@code "."} for the root)
     * @param type one of the type constants
     * @param mode permission bits (twelve bits)
     * @param uid owner
     * @param gid group
     * @param mtimeNanos modification time
     * @param size bytes of data that follow (regular files only)
     * @param link the target of a symlink or hard link, else empty
     * @param xattrs extended attributes, written as pax records
     */
    record Header(String name, char type, int mode, long uid, long gid, long mtimeNanos, long size, String link,
                  Map<String, byte[]> xattrs) {
        Header {
            if (size < 0 || (size > 0 && type != FILE)) {
                throw new IllegalArgumentException("size " + size + " for type " + type);
            }
        }
    }

    private final OutputStream out;
    private final byte[] block = new byte[BLOCK];
    private long remaining;
    private long written;

    TarOut(OutputStream out) {
        this.out = out;
    }

    /** Starts an entry; exactly {@code h.size()} bytes of data must follow through {@link #data}. */
    void begin(Header h) throws IOException {
        if (remaining != 0) {
            throw new IllegalStateException(remaining + " bytes of the previous entry missing");
        }
        String name = h.type() == DIRECTORY ? h.name() + "/" : h.name();
        Map<String, byte[]> pax = new LinkedHashMap<>();
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100 || !ascii(nameBytes)) {
            pax.put("path", nameBytes);
        }
        byte[] linkBytes = h.link().getBytes(StandardCharsets.UTF_8);
        if (linkBytes.length > 100 || !ascii(linkBytes)) {
            pax.put("linkpath", linkBytes);
        }
        if (h.size() > MAX_OCTAL_11) {
            pax.put("size", ascii(Long.toString(h.size())));
        }
        if (h.uid() > MAX_OCTAL_7) {
            pax.put("uid", ascii(Long.toString(h.uid())));
        }
        if (h.gid() > MAX_OCTAL_7) {
            pax.put("gid", ascii(Long.toString(h.gid())));
        }
        long seconds = Math.floorDiv(h.mtimeNanos(), 1_000_000_000L);
        int nanos = (int) Math.floorMod(h.mtimeNanos(), 1_000_000_000L);
        if (nanos != 0 || seconds < 0 || seconds > MAX_OCTAL_11) {
            pax.put("mtime", ascii(java.math.BigDecimal.valueOf(h.mtimeNanos(), 9).stripTrailingZeros().toPlainString()));
        }
        for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
            pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
        }
        if (!pax.isEmpty()) {
            byte[] records = paxRecords(pax);
            header("PaxHeaders/entry", 'x', 0644, 0, 0, 0, records.length, "");
            out.write(records);
            pad(records.length);
        }
        header(name, h.type(), h.mode(), h.uid(), h.gid(), Math.max(0, Math.min(seconds, MAX_OCTAL_11)), h.size(),
                h.link());
        remaining = h.size();
        written = 0;
    }

    /** Data of the current entry. */
    void data(byte[] buf, int off, int len) throws IOException {
        if (len > remaining) {
            throw new IllegalStateException("entry data exceeds its size by " + (len - remaining) + " bytes");
        }
        out.write(buf, off, len);
        remaining -= len;
        written += len;
        if (remaining == 0) {
            pad(written);
        }
    }

    /** Ends the archive (two zero blocks) and flushes; the stream stays open. */
    void finish() throws IOException {
        if (remaining != 0) {
            throw new IllegalStateException(remaining + " bytes of the last entry missing");
        }
        Arrays.fill(block, (byte) 0);
        out.write(block);
        out.write(block);
        out.flush();
    }

    private void header(String name, char type, int mode, long uid, long gid, long mtime, long size, String link)
            throws IOException {
        Arrays.fill(block, (byte) 0);
        field(truncated(name.getBytes(StandardCharsets.UTF_8)), 0, 100);
        octal(mode & 07777, 100, 8);
        octal(Math.min(uid, MAX_OCTAL_7), 108, 8);
        octal(Math.min(gid, MAX_OCTAL_7), 116, 8);
        octal(Math.min(size, MAX_OCTAL_11), 124, 12);
        octal(mtime, 136, 12);
        Arrays.fill(block, 148, 156, (byte) ' ');
        block[156] = (byte) type;
        field(truncated(link.getBytes(StandardCharsets.UTF_8)), 157, 100);
        field(ascii("ustar"), 257, 6);
        field(ascii("00"), 263, 2);
        octal(0, 329, 8); // devmajor: only char 0:0 (whiteouts) are ever written
        octal(0, 337, 8);
        long sum = 0;
        for (byte b : block) {
            sum += b & 0xff;
        }
        octal(sum, 148, 7);
        out.write(block);
    }

    private void pad(long length) throws IOException {
        int rest = (int) (length % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }

    private void field(byte[] value, int at, int width) {
        System.arraycopy(value, 0, block, at, Math.min(value.length, width));
    }

    private void octal(long value, int at, int width) {
        String s = Long.toOctalString(value);
        byte[] digits = ascii("0".repeat(Math.max(0, width - 1 - s.length())) + s);
        System.arraycopy(digits, 0, block, at, width - 1);
        block[at + width - 1] = 0;
    }

    /** {@code "len key=value\n"} records; the length counts itself. */
    private static byte[] paxRecords(Map<String, byte[]> pax) {
        var buf = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : pax.entrySet()) {
            byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
            int body = 1 + key.length + 1 + e.getValue().length + 1; // ' ' key '=' value '\n'
            int len = body + Integer.toString(body).length();
            if (Integer.toString(len).length() != Integer.toString(body).length()) {
                len = body + Integer.toString(len).length();
            }
            buf.writeBytes(ascii(Integer.toString(len)));
            buf.write(' ');
            buf.writeBytes(key);
            buf.write('=');
            buf.writeBytes(e.getValue());
            buf.write('\n');
        }
        return buf.toByteArray();
    }

    private static byte[] truncated(byte[] name) {
        return name.length <= 100 ? name : Arrays.copyOf(name, 100);
    }

    private static boolean ascii(byte[] b) {
        for (byte x : b) {
            if (x < 0x20 || x > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
