package dev.restoreshim.process;

import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The few facts the process layer reads from a bundle's {@code config.json}. */
final class BundleSpec {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BundleSpec() {
    }

    /**
     * Whether the container lacks a pid namespace of its own (none listed, or one joined by
     * path, as in a pod sharing its pid namespace). Then the init's exit does not end its other
     * processes, and the shim kills them all, as containerd's {@code ShouldKillAllOnExit}. An
     * unreadable spec counts as shared.
     */
    static boolean sharesPidNamespace(Path bundle) {
        try {
            JsonNode config = JSON.readTree(bundle.resolve("config.json").toFile());
            for (JsonNode ns : config.path("linux").path("namespaces")) {
                if (ns.path("type").asString("").equals("pid") && ns.path("path").asString("").isEmpty()) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return true;
        }
    }
}
