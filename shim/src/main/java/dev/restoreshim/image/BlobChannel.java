package dev.restoreshim.image;

import java.io.IOException;

/**
 * Where the bytes of one new blob go, in order, before its digest is known: a registry upload
 * session or a temporary file of an image layout. {@link BlobOutput} computes the digest and calls
 * {@link #commit} once at the end, or {@link #abort} on failure.
 */
public interface BlobChannel {
    void write(byte[] b, int off, int len) throws IOException;

    /** All bytes were written; store them under {@code digest}. */
    void commit(String digest, long size) throws IOException;

    /** Discards what was written; must not throw. */
    void abort();
}
