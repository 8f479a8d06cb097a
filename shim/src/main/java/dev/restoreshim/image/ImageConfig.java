package dev.restoreshim.image;

import dev.restoreshim.archive.ContainerInfo;
import dev.restoreshim.errors.ShimException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The restore image's config: the base image's config, unchanged but for the process (the
 * checkpointed one from {@code spec.dump}: {@code Entrypoint} null, {@code Cmd} = args, {@code Env},
 * {@code WorkingDir}), {@code created}, the two new diff_ids and two history entries. A node
 * without restore-shim therefore cold-starts the checkpointed command.
 */
public final class ImageConfig {
    /** {@code created_by} of the history entries. */
    public static final String HISTORY_DELTA = "restore-shim convert: delta";
    public static final String HISTORY_CHECKPOINT = "restore-shim convert: checkpoint";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ImageConfig() {
    }

    /**
     * Builds the config bytes.
     *
     * @param archive names the archive in messages
     * @throws ShimException INVALID_ARGUMENT when spec.dump gave no process arguments
     */
    public static byte[] build(String archive, ObjectNode baseConfig, ContainerInfo container, String created,
                               List<String> diffIds) {
        if (container.args().isEmpty()) {
            throw ShimException.invalidArgument("archive " + archive + ": spec.dump has no process.args: the image would have no command");
        }
        ObjectNode root = baseConfig.deepCopy();
        root.put("created", created);
        ObjectNode config = root.get("config") instanceof ObjectNode c ? c : root.putObject("config");
        config.putNull("Entrypoint");
        ArrayNode cmd = config.putArray("Cmd");
        container.args().forEach(cmd::add);
        ArrayNode env = config.putArray("Env");
        container.env().forEach(env::add);
        if (!container.cwd().isEmpty()) {
            config.put("WorkingDir", container.cwd());
        }
        ObjectNode rootfs = root.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        diffIds.forEach(ids::add);
        ArrayNode history = root.get("history") instanceof ArrayNode h ? h : root.putArray("history");
        for (String by : List.of(HISTORY_DELTA, HISTORY_CHECKPOINT)) {
            history.addObject().put("created", created).put("created_by", by);
        }
        return JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    }
}
