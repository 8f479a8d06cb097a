package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An OCI bundle made without containerd: a busybox rootfs with the app script, and a config.json
 * from {@code runc spec} with the app as process, no terminal, a writable rootfs and the test
 * instance's cgroup path, for driving the shim's Task API directly.
 *
 * @param dir the bundle directory ({@code config.json}, {@code rootfs/})
 */
public record OciBundle(Path dir) {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Creates the bundle for container {@code id} under {@code parent}. */
    public static OciBundle create(Path parent, String id, String cgroupsPath) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(id));
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        TestImages.writeRootfs(rootfs, true);
        HostCommand.of("runc", "spec", "--bundle", dir.toString()).check();
        Path config = dir.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(config.toFile());
        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        ArrayNode args = process.putArray("args");
        args.add("/app.sh");
        ArrayNode env = process.putArray("env");
        env.add("PATH=/bin");
        ((ObjectNode) spec.get("root")).put("readonly", false);
        ((ObjectNode) spec.get("linux")).put("cgroupsPath", cgroupsPath);
        spec.put("hostname", id.length() > 30 ? id.substring(0, 30) : id);
        JSON.writeValue(config.toFile(), spec);
        return new OciBundle(dir);
    }

    /** The JSON of an OCI {@code Process} for an exec of {@code argv}. */
    public static byte[] execProcess(List<String> argv) {
        ObjectNode process = JSON.createObjectNode();
        process.put("terminal", false);
        ObjectNode user = process.putObject("user");
        user.put("uid", 0);
        user.put("gid", 0);
        ArrayNode args = process.putArray("args");
        argv.forEach(args::add);
        process.putArray("env").add("PATH=/bin");
        process.put("cwd", "/");
        return JSON.writeValueAsBytes(process);
    }

    /** Reads a JSON document (for the launcher's bootstrap output). */
    public static JsonNode parseJson(String text) {
        return JSON.readTree(text);
    }
}
