package dev.restoreshim.image;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An OCI content descriptor.
 *
 * @param mediaType the blob's media type
 * @param digest {@code sha256:HEX}
 * @param size the blob's size in bytes
 * @param annotations descriptor annotations (sorted), often empty
 */
public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations) {
    public Descriptor {
        Objects.requireNonNull(mediaType);
        Objects.requireNonNull(digest);
        annotations = java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    public Descriptor(String mediaType, String digest, long size) {
        this(mediaType, digest, size, Map.of());
    }

    /** The hex part of the digest. */
    public String hex() {
        return digest.substring(digest.indexOf(':') + 1);
    }
}
