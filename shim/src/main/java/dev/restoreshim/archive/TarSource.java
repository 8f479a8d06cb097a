package dev.restoreshim.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Where a {@link TarEntryReader} takes its bytes from: a seekable file region, or a stream read once. */
sealed interface TarSource {
    /** Reads until {@code len} bytes or the end; returns how many were read. */
    int read(byte[] b, int off, int len) throws IOException;

    /** Skips up to {@code n} bytes; returns how many were skipped (fewer only at the end). */
    long skip(long n) throws IOException;

    /** Bytes consumed so far. */
    long position();

    /** Bytes left, or -1 when unknown (a stream). */
    long remaining();

    /**
     * A region of a file read with positional reads; skipping is free.
     *
     * @param channel the file (not closed here)
     * @param base where the tar starts in the file
     * @param length the tar's length
     */
    static Region region(FileChannel channel, long base, long length) {
        return new Region(channel, base, length);
    }

    static Stream stream(InputStream in) {
        return new Stream(in);
    }

    /** A tar inside a file, from {@code base} for {@code length} bytes. */
    final class Region implements TarSource {
        private final FileChannel channel;
        private final long base;
        private final long length;
        private long pos;

        Region(FileChannel channel, long base, long length) {
            this.channel = channel;
            this.base = base;
            this.length = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int want = (int) Math.min(len, length - pos);
            ByteBuffer buf = ByteBuffer.wrap(b, off, want);
            while (buf.hasRemaining()) {
                if (channel.read(buf, base + pos + buf.position() - off) < 0) {
                    break;
                }
            }
            int got = buf.position() - off;
            pos += got;
            return got;
        }

        @Override
        public long skip(long n) {
            long s = Math.min(n, length - pos);
            pos += s;
            return s;
        }

        @Override
        public long position() {
            return pos;
        }

        @Override
        public long remaining() {
            return length - pos;
        }
    }

    /** A tar read front to back from a stream (a decompressor, or a member of an outer archive). */
    final class Stream implements TarSource {
        private final InputStream in;
        private final byte[] scratch = new byte[64 * 1024];
        private long pos;

        Stream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int got = in.readNBytes(b, off, len);
            pos += got;
            return got;
        }

        @Override
        public long skip(long n) throws IOException {
            long done = 0;
            while (done < n) {
                int r = in.read(scratch, 0, (int) Math.min(scratch.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            pos += done;
            return done;
        }

        @Override
        public long position() {
            return pos;
        }

        @Override
        public long remaining() {
            return -1;
        }
    }
}
