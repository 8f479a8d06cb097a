package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A checkpoint image as containerd 2.1's CRI restores it (CreateContainer with image = this ref):
 * the recipe of the Kubernetes docs and checkpointctl, {@code buildah from scratch}, {@code buildah
 * add} of the CRI checkpoint archive (buildah extracts it, so the one layer holds {@code checkpoint/},
 * {@code rootfs-diff.tar}, {@code spec.dump}, {@code config.dump}, ... at {@code /}) and the
 * {@code org.criu.checkpoint.*} manifest annotations. containerd recognises the image by
 * {@code org.criu.checkpoint.container.name} alone; the other keys are those checkpointctl writes.
 * The layer is gzip-compressed, as {@code buildah push} does by default.
 */
final class StockCheckpointImage {
    private static final String PREFIX = "org.criu.checkpoint.";

    private StockCheckpointImage() {
    }

    /**
     * Builds the image of {@code archive} (the checkpoint of container {@code containerName},
     * running {@code base}) and pushes it as {@code ref}; removes what it built locally.
     */
    static void build(Path archive, String containerName, String base, String ref) throws IOException {
        String tag = "localhost/rsit-stock-checkpoint-" + ProcessHandle.current().pid() + ":"
                + Integer.toHexString(ref.hashCode());
        String container = HostCommand.of("buildah", "from", "-q", "scratch").check().stdout().strip();
        try {
            HostCommand.of("buildah", "add", "-q", container, archive.toString(), "/")
                    .withTimeout(Duration.ofMinutes(10)).check();
            List<String> config = new ArrayList<>(List.of("buildah", "config"));
            annotate(config, "engine.name", "containerd");
            annotate(config, "container.name", containerName);
            annotate(config, "pod.name", "src");
            annotate(config, "pod.namespace", "rsit");
            annotate(config, "rootfsImageName", base);
            annotate(config, "rootfsImageUserRequested", base);
            annotate(config, "rootfsImageID", base);
            annotate(config, "runtime.name", "runc");
            config.add(container);
            HostCommand.of(config).check();
            HostCommand.of("buildah", "commit", "-q", "--format", "oci", container, tag)
                    .withTimeout(Duration.ofMinutes(10)).check();
            HostCommand.of("buildah", "push", "-q", "--tls-verify=false", tag, "docker://" + ref)
                    .withTimeout(Duration.ofMinutes(10)).check();
        } finally {
            HostCommand.of("buildah", "rm", container).run();
            HostCommand.of("buildah", "rmi", "-f", tag).run();
        }
    }

    private static void annotate(List<String> argv, String key, String value) {
        argv.add("--annotation");
        argv.add(PREFIX + key + "=" + value);
    }
}
