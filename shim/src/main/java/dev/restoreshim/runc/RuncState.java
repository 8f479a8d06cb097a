package dev.restoreshim.runc;

import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The output of {@code runc state}.
 *
 * @param id the container id
 * @param pid the init pid (0 once stopped)
 * @param status runc's status word: {@code created}, {@code running}, {@code paused}, {@code stopped}
 * @param bundle the bundle path
 * @param rootfs the rootfs path
 * @param annotations the spec's annotations
 */
public record RuncState(String id, int pid, String status, String bundle, String rootfs, Map<String, String> annotations) {
    public RuncState {
        annotations = Map.copyOf(annotations == null ? Map.of() : annotations);
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Parses runc's JSON; unknown fields are ignored. */
    public static RuncState parse(String json) {
        JsonNode n = JSON.readTree(json);
        var annotations = new java.util.HashMap<String, String>();
        n.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asString("")));
        return new RuncState(n.path("id").asString(""), n.path("pid").asInt(0), n.path("status").asString(""),
                n.path("bundle").asString(""), n.path("rootfs").asString(""), annotations);
    }
}
