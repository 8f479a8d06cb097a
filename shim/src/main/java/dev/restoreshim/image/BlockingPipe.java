package dev.restoreshim.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A bounded pipe from the thread that produces a blob to the HTTP client's thread that sends it:
 * at most {@code depth} buffers of {@code bufferSize} bytes are in flight. Unlike
 * {@link java.io.PipedInputStream}, it does not depend on which threads read, and a writer waiting
 * for room gives up when {@code readerGone} says the request ended.
 */
final class BlockingPipe {
    private static final byte[] EOF = new byte[0];

    private final BlockingQueue<byte[]> queue;
    private final int bufferSize;
    private final BooleanSupplier readerGone;
    private byte[] current;
    private int filled;

    BlockingPipe(int bufferSize, int depth, BooleanSupplier readerGone) {
        this.queue = new ArrayBlockingQueue<>(depth);
        this.bufferSize = bufferSize;
        this.readerGone = readerGone;
    }

    /** Writer side: copies {@code b} into the pipe, blocking while it is full. */
    void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (current == null) {
                current = new byte[bufferSize];
                filled = 0;
            }
            int n = Math.min(len, bufferSize - filled);
            System.arraycopy(b, off, current, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == bufferSize) {
                put(current);
                current = null;
            }
        }
    }

    /** Writer side: no more bytes. */
    void close() throws IOException {
        if (current != null && filled > 0) {
            put(Arrays.copyOf(current, filled));
        }
        current = null;
        put(EOF);
    }

    private void put(byte[] buffer) throws IOException {
        try {
            while (!queue.offer(buffer, 200, TimeUnit.MILLISECONDS)) {
                if (readerGone.getAsBoolean()) {
                    throw new IOException("the upload request ended before the blob was sent");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading");
        }
    }

    /** The reader side, for the request body. */
    InputStream source() {
        return new InputStream() {
            private byte[] buf;
            private int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (buf == EOF) {
                    return -1;
                }
                if (buf == null || pos == buf.length) {
                    try {
                        buf = queue.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted");
                    }
                    pos = 0;
                    if (buf == EOF) {
                        return -1;
                    }
                }
                int n = Math.min(len, buf.length - pos);
                System.arraycopy(buf, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }
}
