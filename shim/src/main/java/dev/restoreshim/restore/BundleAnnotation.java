package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sets one annotation in a bundle's {@code config.json}, which runc reads at {@code runc restore}
 * ({@code org.criu.config}). The file is rewritten through a temporary file and a rename, so
 * runc never sees half of it; every other field is kept as it was.
 */
final class BundleAnnotation {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BundleAnnotation() {
    }

    /** Sets {@code key} to {@code value} in {@code bundle}/config.json's {@code annotations}. */
    static void set(Path bundle, String key, String value) {
        Path config = bundle.resolve("config.json");
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(config));
            if (!(root instanceof ObjectNode spec)) {
                throw ShimException.invalidArgument("bundle spec " + config + ": not a JSON object");
            }
            JsonNode existing = spec.get("annotations");
            ObjectNode annotations = existing instanceof ObjectNode o ? o : spec.putObject("annotations");
            annotations.put(key, value);
            Path tmp = bundle.resolve(".config.json.restore-shim");
            Files.write(tmp, JSON.writeValueAsBytes(spec));
            Files.move(tmp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | JacksonException e) {
            throw ShimException.internal("bundle spec " + config + ": set annotation " + key + ": " + e.getMessage(), e);
        }
    }
}
