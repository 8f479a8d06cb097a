package dev.restoreshim.image;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

/**
 * One blob upload as a single streamed PATCH (chunked transfer encoding, no
 * {@code Content-Range}) followed by the PUT naming the digest: one request carries all bytes as
 * they are produced, which the Docker distribution registry (and those built on it) accept and
 * store several times faster than a series of range chunks. The bytes cross a {@link BlockingPipe}
 * to the HTTP client's thread; 4 MiB at most are buffered.
 */
final class StreamedUpload implements BlobChannel {
    private final RegistryClient client;
    private final URI start;
    private final BlockingPipe pipe;
    /** The PATCH in flight; set once in the constructor, read by the pipe's writer checks. */
    private volatile CompletableFuture<HttpResponse<byte[]>> response;

    StreamedUpload(RegistryClient client, String repository) {
        this.client = client;
        this.start = client.startUpload(repository);
        this.pipe = new BlockingPipe(1 << 20, 4, () -> response != null && response.isDone());
        this.response = client.patchStream(start, pipe.source());
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            pipe.write(b, off, len);
        } catch (IOException e) {
            if (response.isDone()) {
                client.finishPatch(response); // throws the registry's own refusal
            }
            throw e;
        }
    }

    @Override
    public void commit(String digest, long size) throws IOException {
        try {
            pipe.close();
        } catch (IOException e) {
            if (response.isDone()) {
                client.finishPatch(response); // throws the registry's own refusal
            }
            throw e;
        }
        URI next = client.finishPatch(response);
        client.completeUpload(next, digest);
    }

    @Override
    public void abort() {
        response.cancel(true);
        client.cancelUpload(start);
    }
}
