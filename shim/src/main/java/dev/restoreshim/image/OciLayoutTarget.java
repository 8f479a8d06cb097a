package dev.restoreshim.image;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.LongConsumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a restore image into an OCI image layout directory ({@code oci-layout},
 * {@code index.json}, {@code blobs/sha256/HEX}), which {@code skopeo copy oci:DIR:TAG ...} and
 * other tools read. A layout is self-contained, so the base image's layers are copied into it from
 * the base image's registry (a blob already in the layout is kept). New blobs are written to a
 * temporary file in {@code blobs/sha256/} and renamed to their digest when complete.
 * {@code index.json} keeps other images' entries and replaces one of the same tag.
 */
public final class OciLayoutTarget implements ImageTarget {
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final Path dir;
    private final Path blobs;
    private final String tag;
    private final BlobSource baseBlobs;
    private final JsonMapper json = JsonMapper.builder().build();

    /**
     * Creates the layout's skeleton in {@code dir} (created if missing).
     *
     * @param tag the {@code org.opencontainers.image.ref.name} of the image in {@code index.json}
     * @param baseBlobs where base layers missing from the layout are read
     */
    public OciLayoutTarget(Path dir, String tag, BlobSource baseBlobs) {
        this.dir = dir;
        this.blobs = dir.resolve("blobs").resolve("sha256");
        this.tag = tag;
        this.baseBlobs = baseBlobs;
        try {
            Files.createDirectories(blobs);
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        } catch (IOException e) {
            throw ShimException.failedPrecondition("OCI layout " + dir + ": cannot create: " + e.getMessage());
        }
    }

    @Override
    public Reuse addBaseLayer(Descriptor layer) {
        Path existing = blobs.resolve(layer.hex());
        try {
            if (Files.isRegularFile(existing) && Files.size(existing) == layer.size()) {
                return Reuse.EXISTS;
            }
        } catch (IOException e) {
            throw ShimException.failedPrecondition("OCI layout " + dir + ": " + e.getMessage());
        }
        try (InputStream in = baseBlobs.open(layer); BlobOutput out = newBlob(n -> { })) {
            in.transferTo(out);
            Descriptor got = out.finish(layer.mediaType());
            if (!got.digest().equals(layer.digest())) {
                Files.deleteIfExists(blobs.resolve(got.hex()));
                throw ShimException.invalidArgument("base layer " + layer.digest() + " read with digest " + got.digest());
            }
            return Reuse.COPIED;
        } catch (IOException e) {
            throw ShimException.failedPrecondition("OCI layout " + dir + ": copying base layer " + layer.digest() + ": "
                    + e.getMessage());
        }
    }

    @Override
    public BlobOutput newBlob(LongConsumer progress) {
        return new BlobOutput(new TempBlob(), progress);
    }

    @Override
    public Descriptor putBlob(String mediaType, byte[] data) {
        try (BlobOutput out = newBlob(n -> { })) {
            out.write(data);
            return out.finish(mediaType);
        } catch (IOException e) {
            throw ShimException.failedPrecondition("OCI layout " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public String putManifest(byte[] manifest) {
        Descriptor d = putBlob(MediaTypes.OCI_MANIFEST, manifest);
        try {
            Path indexFile = dir.resolve("index.json");
            ObjectNode index;
            if (Files.exists(indexFile)) {
                index = (ObjectNode) json.readTree(indexFile.toFile());
            } else {
                index = json.createObjectNode();
                index.put("schemaVersion", 2);
                index.put("mediaType", MediaTypes.OCI_INDEX);
            }
            ArrayNode kept = json.createArrayNode();
            for (JsonNode m : index.path("manifests")) {
                if (!tag.equals(m.path("annotations").path(REF_NAME).asString(""))) {
                    kept.add(m);
                }
            }
            ObjectNode entry = kept.addObject();
            entry.put("mediaType", d.mediaType());
            entry.put("digest", d.digest());
            entry.put("size", d.size());
            entry.putObject("annotations").put(REF_NAME, tag);
            index.set("manifests", kept);
            Path tmp = dir.resolve("index.json.tmp");
            Files.write(tmp, json.writeValueAsString(index).getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, indexFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return d.digest();
        } catch (IOException | RuntimeException e) {
            throw ShimException.failedPrecondition("OCI layout " + dir + ": cannot write index.json: " + e.getMessage());
        }
    }

    @Override
    public String describe() {
        return "oci:" + dir + ":" + tag;
    }

    /** A blob being written: a temporary file renamed to its digest at commit. */
    private final class TempBlob implements BlobChannel {
        private final Path tmp;
        private final OutputStream out;

        TempBlob() {
            try {
                tmp = Files.createTempFile(blobs, ".tmp-", "");
                out = Files.newOutputStream(tmp);
            } catch (IOException e) {
                throw ShimException.failedPrecondition("OCI layout " + dir + ": cannot create a blob: " + e.getMessage());
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void commit(String digest, long size) throws IOException {
            out.close();
            Files.move(tmp, blobs.resolve(digest.substring("sha256:".length())), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public void abort() {
            try {
                out.close();
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray temporary file in blobs/ is ignored by readers
            }
        }
    }
}
