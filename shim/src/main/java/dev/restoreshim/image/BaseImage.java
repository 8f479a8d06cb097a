package dev.restoreshim.image;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The image a checkpoint was taken on: its single-platform manifest's digest, its config (kept
 * whole, as JSON) and its layers.
 *
 * @param ref the reference it was fetched by
 * @param manifestDigest digest of the platform manifest (not of an index)
 * @param config the image config JSON
 * @param layers its layers, bottom first, media types as the registry gave them
 */
public record BaseImage(ImageRef ref, String manifestDigest, ObjectNode config, List<Descriptor> layers) {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_CONFIG_BYTES = 8 << 20;

    public BaseImage {
        Objects.requireNonNull(ref);
        Objects.requireNonNull(manifestDigest);
        Objects.requireNonNull(config);
        layers = List.copyOf(layers);
    }

    /** The config's {@code rootfs.diff_ids}. */
    public List<String> diffIds() {
        List<String> ids = new ArrayList<>();
        config.path("rootfs").path("diff_ids").forEach(n -> ids.add(n.asString("")));
        return ids;
    }

    /**
     * Fetches {@code ref} from its registry; a multi-platform index is resolved to the entry for
     * {@code os}/{@code architecture}.
     *
     * @throws ShimException NOT_FOUND naming the image when the registry does not have it
     */
    public static BaseImage fetch(RegistryClient client, ImageRef ref, String os, String architecture) {
        RegistryClient.Manifest m = client.manifest(ref.repository(), ref.reference());
        JsonNode root = parse(m.bytes(), "manifest of base image " + ref);
        String type = m.mediaType().isEmpty() ? root.path("mediaType").asString("") : m.mediaType();
        if (MediaTypes.INDEXES.contains(type) || root.has("manifests")) {
            String digest = platformEntry(root, ref, os, architecture);
            m = client.manifest(ref.repository(), digest);
            root = parse(m.bytes(), "manifest of base image " + ref + "@" + digest);
        }
        if (!root.has("config") || !root.has("layers")) {
            throw ShimException.invalidArgument("base image " + ref + ": unsupported manifest type \"" + type + "\"");
        }
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode l : root.path("layers")) {
            layers.add(descriptor(l, ref));
        }
        Descriptor configDesc = descriptor(root.path("config"), ref);
        if (configDesc.size() > MAX_CONFIG_BYTES) {
            throw ShimException.invalidArgument("base image " + ref + ": config is " + configDesc.size() + " bytes");
        }
        byte[] configBytes;
        try (InputStream in = client.openBlob(ref.repository(), configDesc.digest())) {
            configBytes = in.readNBytes(MAX_CONFIG_BYTES + 1);
        } catch (IOException e) {
            throw ShimException.failedPrecondition("base image " + ref + ": reading config: " + e.getMessage());
        }
        if (!Digests.of(configBytes).equals(configDesc.digest())) {
            throw ShimException.invalidArgument("base image " + ref + ": config does not match its digest " + configDesc.digest());
        }
        if (!(parse(configBytes, "config of base image " + ref) instanceof ObjectNode config)) {
            throw ShimException.invalidArgument("base image " + ref + ": config is not a JSON object");
        }
        BaseImage image = new BaseImage(ref, m.digest(), config, layers);
        if (image.diffIds().size() != layers.size()) {
            throw ShimException.invalidArgument("base image " + ref + ": " + layers.size() + " layers but "
                    + image.diffIds().size() + " diff_ids in its config");
        }
        return image;
    }

    private static String platformEntry(JsonNode index, ImageRef ref, String os, String architecture) {
        for (JsonNode e : index.path("manifests")) {
            JsonNode p = e.path("platform");
            if (os.equals(p.path("os").asString("")) && architecture.equals(p.path("architecture").asString(""))) {
                return e.path("digest").asString("");
            }
        }
        throw ShimException.notFound("base image " + ref + ": no manifest for platform " + os + "/" + architecture);
    }

    private static Descriptor descriptor(JsonNode n, ImageRef ref) {
        String digest = n.path("digest").asString("");
        if (!Digests.valid(digest)) {
            throw ShimException.invalidArgument("base image " + ref + ": descriptor digest \"" + digest + "\" is not sha256");
        }
        return new Descriptor(n.path("mediaType").asString(""), digest, n.path("size").asLong(-1));
    }

    private static JsonNode parse(byte[] bytes, String what) {
        try {
            return JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw ShimException.invalidArgument(what + " is not JSON: " + e.getOriginalMessage());
        }
    }

    /** The platform's architecture in OCI terms ({@code amd64}, {@code arm64}, ...). */
    public static String hostArchitecture() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> a;
        };
    }
}
