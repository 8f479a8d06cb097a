package dev.restoreshim.image;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/**
 * Pushes a restore image to {@code target}. Base layers are never uploaded from here when the
 * registry can avoid it: a blob the target repository already has is left alone (HEAD), a blob of
 * another repository of the same registry is mounted; only a base image on another registry is
 * copied, streamed from there. New blobs go up in chunks as they are produced.
 */
public final class RegistryTarget implements ImageTarget {
    private final RegistryClient client;
    private final ImageRef target;
    private final ImageRef base;
    private final RegistryClient baseClient;
    private final int chunkSize;

    /** How new blobs are sent. */
    public enum Upload {
        /** One streamed PATCH per blob (chunked transfer encoding): fastest where accepted. */
        STREAMED,
        /** PATCHes of {@code chunkSize} bytes with {@code Content-Range}: what the OCI spec requires every registry to take. */
        CHUNKED
    }

    private final Upload upload;

    /**
     * @param client a client of the target's registry
     * @param target where to push (its tag names the manifest; a digest-only ref is refused)
     * @param base the base image
     * @param baseClient a client of the base image's registry (may be {@code client})
     * @param upload how new blobs are sent
     * @param chunkSize bytes per PATCH with {@link Upload#CHUNKED}
     */
    public RegistryTarget(RegistryClient client, ImageRef target, ImageRef base, RegistryClient baseClient, Upload upload,
                          int chunkSize) {
        if (target.tag() == null) {
            throw ShimException.invalidArgument("push target " + target + " has no tag");
        }
        this.client = client;
        this.target = target;
        this.base = base;
        this.baseClient = baseClient;
        this.chunkSize = chunkSize;
        this.upload = upload;
    }

    @Override
    public Reuse addBaseLayer(Descriptor layer) {
        if (client.blobExists(target.repository(), layer.digest())) {
            return Reuse.EXISTS;
        }
        if (sameRegistry() && client.mount(target.repository(), layer.digest(), base.repository())) {
            return Reuse.MOUNTED;
        }
        if (sameRegistry()) {
            throw ShimException.notFound("registry " + client.host() + ": base layer " + layer.digest() + " of "
                    + base + " is not in the registry (mount refused)");
        }
        try (InputStream in = baseClient.openBlob(base.repository(), layer.digest());
             BlobOutput out = newBlob(n -> { })) {
            in.transferTo(out);
            if (out.size() != layer.size()) {
                throw ShimException.invalidArgument("base layer " + layer.digest() + " of " + base + ": read "
                        + out.size() + " bytes, the manifest says " + layer.size());
            }
            out.finish(layer.mediaType());
            return Reuse.COPIED;
        } catch (IOException e) {
            throw ShimException.failedPrecondition("copying base layer " + layer.digest() + " of " + base + " to "
                    + target + ": " + e.getMessage());
        }
    }

    private boolean sameRegistry() {
        return target.registry().equals(base.registry());
    }

    @Override
    public BlobOutput newBlob(LongConsumer progress) {
        BlobChannel channel = switch (upload) {
            case STREAMED -> new StreamedUpload(client, target.repository());
            case CHUNKED -> new ChunkedUpload(client, target.repository(), chunkSize);
        };
        return new BlobOutput(channel, progress);
    }

    @Override
    public Descriptor putBlob(String mediaType, byte[] data) {
        String digest = Digests.of(data);
        if (!client.blobExists(target.repository(), digest)) {
            client.putBlob(target.repository(), digest, data);
        }
        return new Descriptor(mediaType, digest, data.length);
    }

    @Override
    public String putManifest(byte[] manifest) {
        return client.putManifest(target.repository(), target.tag(), MediaTypes.OCI_MANIFEST, manifest);
    }

    @Override
    public String describe() {
        return target.toString();
    }
}
