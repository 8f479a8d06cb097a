package dev.restoreshim.archive;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the metadata members say about the checkpointed container: checkpointctl's ContainerConfig
 * ({@code config.dump}) and the OCI spec ({@code spec.dump}). Absent text fields are empty strings.
 *
 * @param id container id
 * @param name container name from {@code config.dump} (containerd writes its CRI name
 *     {@code NAME_POD_NAMESPACE_UID_ATTEMPT}), else the CRI container-name annotation
 * @param rootfsImage the base image id or reference as the engine recorded it
 * @param rootfsImageRef the image's resolved reference (digest), when recorded
 * @param rootfsImageName the image name the user asked for
 * @param runtime the OCI runtime or containerd runtime handler
 * @param createdTime when the container was created (as written, RFC 3339)
 * @param checkpointedTime when it was checkpointed (as written, RFC 3339)
 * @param args the process's argv from the spec
 * @param env the process's environment from the spec
 * @param cwd the process's working directory from the spec
 * @param annotations the spec's annotations, sorted by key
 */
public record ContainerInfo(String id, String name, String rootfsImage, String rootfsImageRef, String rootfsImageName,
                            String runtime, String createdTime, String checkpointedTime, List<String> args,
                            List<String> env, String cwd, Map<String, String> annotations) {
    public ContainerInfo {
        Objects.requireNonNull(id);
        Objects.requireNonNull(name);
        Objects.requireNonNull(rootfsImage);
        Objects.requireNonNull(rootfsImageRef);
        Objects.requireNonNull(rootfsImageName);
        Objects.requireNonNull(runtime);
        Objects.requireNonNull(createdTime);
        Objects.requireNonNull(checkpointedTime);
        args = List.copyOf(args);
        env = List.copyOf(env);
        Objects.requireNonNull(cwd);
        annotations = java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    /** The Kubernetes container name (CRI container-name annotation) when there is one, else {@link #name}. */
    public String displayName() {
        return first(annotations.get("io.kubernetes.cri.container-name"), annotations.get("io.kubernetes.container.name"), name);
    }

    /** Nothing known. */
    public static ContainerInfo empty() {
        return new ContainerInfo("", "", "", "", "", "", "", "", List.of(), List.of(), "", Map.of());
    }

    /**
     * Builds the record from the parsed JSON of {@code config.dump} and {@code spec.dump} (either may
     * be null). Podman's and CRI-O's variants of the field names are accepted.
     */
    static ContainerInfo from(Object config, Object spec) {
        Map<String, String> annotations = new TreeMap<>();
        JsonText.object(spec, "annotations").forEach((k, v) -> annotations.put(k, v instanceof String s ? s : String.valueOf(v)));
        String name = first(JsonText.string(config, "name"), annotations.get("io.kubernetes.cri.container-name"),
                annotations.get("io.kubernetes.cri-o.ContainerName"));
        String imageName = first(JsonText.string(config, "rootfsImageName"), annotations.get("io.kubernetes.cri.image-name"),
                annotations.get("io.kubernetes.cri-o.ImageName"));
        return new ContainerInfo(
                JsonText.string(config, "id"),
                name,
                first(JsonText.string(config, "rootfsImage"), JsonText.string(config, "rootfsImageID")),
                JsonText.string(config, "rootfsImageRef"),
                imageName,
                first(JsonText.string(config, "runtime"), JsonText.string(config, "ociRuntime")),
                JsonText.string(config, "createdTime"),
                JsonText.string(config, "checkpointedTime"),
                JsonText.strings(spec, "process", "args"),
                JsonText.strings(spec, "process", "env"),
                JsonText.string(spec, "process", "cwd"),
                annotations);
    }

    private static String first(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isEmpty()) {
                return c;
            }
        }
        return "";
    }
}
