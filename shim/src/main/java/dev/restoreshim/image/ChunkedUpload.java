package dev.restoreshim.image;

import java.net.URI;

/**
 * One blob upload to a registry whose digest is not known when it starts: the OCI distribution
 * spec's chunked upload. POST opens the session, every full buffer goes out as one PATCH with its
 * {@code Content-Range}, and the final PUT names the digest, which {@link BlobOutput} computed on
 * the way. At most one chunk is held in memory.
 */
final class ChunkedUpload implements BlobChannel {
    /** Bytes per PATCH. */
    static final int DEFAULT_CHUNK = 16 << 20;

    private final RegistryClient client;
    private final byte[] buffer;
    private URI location;
    private int filled;
    private long sent;

    ChunkedUpload(RegistryClient client, String repository, int chunkSize) {
        this.client = client;
        this.buffer = new byte[chunkSize];
        this.location = client.startUpload(repository);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            int n = Math.min(len, buffer.length - filled);
            System.arraycopy(b, off, buffer, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == buffer.length) {
                flushChunk();
            }
        }
    }

    private void flushChunk() {
        if (filled > 0) {
            location = client.patch(location, buffer, filled, sent);
            sent += filled;
            filled = 0;
        }
    }

    @Override
    public void commit(String digest, long size) {
        flushChunk();
        if (sent != size) {
            throw new IllegalStateException("uploaded " + sent + " bytes of " + size);
        }
        client.completeUpload(location, digest);
    }

    @Override
    public void abort() {
        client.cancelUpload(location);
    }
}
