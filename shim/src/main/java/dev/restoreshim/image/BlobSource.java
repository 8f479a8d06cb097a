package dev.restoreshim.image;

import java.io.InputStream;

/** Reads a blob of the base image (from its registry), for targets that must hold a copy. */
@FunctionalInterface
public interface BlobSource {
    /** A stream of the blob's bytes; the caller closes it and checks the digest. */
    InputStream open(Descriptor blob);
}
