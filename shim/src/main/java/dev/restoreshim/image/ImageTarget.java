package dev.restoreshim.image;

import java.util.function.LongConsumer;

/**
 * Where a restore image is written: a registry repository ({@link RegistryTarget}) or an OCI image
 * layout directory ({@link OciLayoutTarget}). Used by one thread, in this order: base layers, new
 * blobs, config, manifest.
 */
public interface ImageTarget {
    /** How a base image layer came to be in the target. */
    enum Reuse {
        /** The target already had the blob: nothing was sent. */
        EXISTS,
        /** The registry linked it from the base image's repository (cross-repository mount): nothing was sent. */
        MOUNTED,
        /** Copied from the base image's registry, because the target is elsewhere. */
        COPIED
    }

    /** Makes the base image's layer {@code layer} available in the target without rebuilding it. */
    Reuse addBaseLayer(Descriptor layer);

    /** A new blob, streamed to the target as it is written; {@code progress} gets the bytes written. */
    BlobOutput newBlob(LongConsumer progress);

    /** Stores a small blob (config). */
    Descriptor putBlob(String mediaType, byte[] data);

    /** Stores the image manifest under the target's tag; returns the manifest's digest. */
    String putManifest(byte[] manifest);

    /** The target as the user named it, for messages. */
    String describe();
}
