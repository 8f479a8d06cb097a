package dev.restoreshim.image;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.function.LongConsumer;

/**
 * The stream a new blob is written to: counts and hashes every byte on its way to a
 * {@link BlobChannel}, so the digest comes out of the same single pass. {@link #finish} commits
 * the blob and returns its descriptor; {@link #close} without {@code finish} aborts it.
 */
public final class BlobOutput extends OutputStream {
    private final BlobChannel channel;
    private final MessageDigest hash = Digests.sha256();
    private final LongConsumer progress;
    private long size;
    private boolean done;

    /**
     * @param progress told the number of bytes written so far after each write
     */
    public BlobOutput(BlobChannel channel, LongConsumer progress) {
        this.channel = channel;
        this.progress = progress;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (done) {
            throw new IOException("blob already finished");
        }
        channel.write(b, off, len);
        hash.update(b, off, len);
        size += len;
        progress.accept(size);
    }

    /** Commits the blob; returns its descriptor with {@code mediaType}. */
    public Descriptor finish(String mediaType) throws IOException {
        String digest = Digests.format(hash.digest());
        channel.commit(digest, size);
        done = true;
        return new Descriptor(mediaType, digest, size);
    }

    /** Bytes written so far. */
    public long size() {
        return size;
    }

    @Override
    public void close() {
        if (!done) {
            done = true;
            channel.abort();
        }
    }
}
