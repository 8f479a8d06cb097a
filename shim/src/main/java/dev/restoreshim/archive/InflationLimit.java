package dev.restoreshim.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * A decompressing stream that counts what goes in and what comes out, and stops a compression bomb:
 * RESOURCE_EXHAUSTED once the output passes {@link EntryPolicy#maxInflatedBytes()}, or once it is
 * more than {@link EntryPolicy#maxInflationRatio()} times the input (checked after
 * {@link EntryPolicy#RATIO_GRACE_BYTES} of output). Closing it closes the compressed stream.
 */
final class InflationLimit extends FilterInputStream {
    private final String archive;
    private final String entry;
    private final EntryPolicy policy;
    private final Counted compressed;
    private long produced;

    private InflationLimit(InputStream decompressed, Counted compressed, String archive, String entry, EntryPolicy policy) {
        super(decompressed);
        this.compressed = compressed;
        this.archive = archive;
        this.entry = entry;
        this.policy = policy;
    }

    /**
     * Opens a decompressor of the given kind over {@code in}, limited by {@code policy}.
     *
     * @param entry the member being decompressed, or null for the outer archive (used in messages)
     */
    static InputStream open(Compression compression, InputStream in, String archive, String entry, EntryPolicy policy) {
        Counted counted = new Counted(in);
        try {
            InputStream raw = switch (compression) {
                case NONE -> null;
                case GZIP -> new GZIPInputStream(counted, 64 * 1024);
                case ZSTD -> new ZstdCompressorInputStream(counted);
            };
            return raw == null ? in : new InflationLimit(raw, counted, archive, entry, policy);
        } catch (IOException e) {
            throw ArchiveErrors.io(archive, entry, e);
        }
    }

    /** Decompressed bytes produced so far. */
    long produced() {
        return produced;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            produced += n;
            check();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 64 * 1024)];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    private void check() {
        if (produced > policy.maxInflatedBytes()) {
            throw ArchiveErrors.exhausted(archive, entry, "decompressed size passes the cap of "
                    + policy.maxInflatedBytes() + " bytes (compression bomb?)");
        }
        if (produced > EntryPolicy.RATIO_GRACE_BYTES
                && produced / Math.max(1, compressed.count) > policy.maxInflationRatio()) {
            throw ArchiveErrors.exhausted(archive, entry, "decompression ratio passes " + policy.maxInflationRatio()
                    + ":1 (" + produced + " bytes out of " + compressed.count + "; compression bomb?)");
        }
    }

    /** Counts the compressed bytes the decompressor pulls. */
    private static final class Counted extends FilterInputStream {
        long count;

        Counted(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }
    }
}
