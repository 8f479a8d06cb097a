package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * The tiny images the tests run, built without network (buildah from scratch plus busybox-static)
 * and pushed to the local registry, so that containerd pulls them through CRI and records a repo
 * digest (an imported image has none, and CRI restore needs one).
 *
 * @param pause sandbox image: sleeps forever
 * @param app   application image: prints {@link #APP_STARTED} and a tick per second to stdout, exits
 *              with {@link #APP_TERM_EXIT} on SIGTERM after printing {@link #APP_GOT_TERM}; has a
 *              shell and {@code /etc/rsit-release} containing {@link #RELEASE_TEXT} for exec
 */
public record TestImages(String pause, String app) {

    public static final String APP_STARTED = "app: started";
    public static final String APP_GOT_TERM = "app: got TERM";
    public static final int APP_TERM_EXIT = 42;
    public static final String RELEASE_TEXT = "restore-shim integration test image";

    private static final String APP_SCRIPT = """
            #!/bin/sh
            trap 'echo "%s"; exit %d' TERM
            echo "%s"
            i=0
            while true; do
              echo "app: tick $i"
              i=$((i+1))
              sleep 1 &
              wait $!
            done
            """.formatted(APP_GOT_TERM, APP_TERM_EXIT, APP_STARTED);

    /** Builds both images and pushes them to {@code registry}. */
    public static TestImages buildAndPush(LocalRegistry registry, Path workDir) throws IOException {
        String pause = registry.host() + "/rsit/pause:1";
        String app = registry.host() + "/rsit/app:1";
        build(workDir, pause, List.of("/bin/sleep", "2147483647"), null);
        build(workDir, app, List.of("/app.sh"), APP_SCRIPT);
        return new TestImages(pause, app);
    }

    private static void build(Path workDir, String ref, List<String> command, String script) throws IOException {
        String local = "localhost/rsit-build-" + ProcessHandle.current().pid() + "/" + ref.substring(ref.indexOf('/') + 1);
        String container = HostCommand.of("buildah", "from", "scratch").check().stdout().strip();
        try {
            Path root = Path.of(HostCommand.of("buildah", "mount", container).check().stdout().strip());
            try {
                writeRootfs(root, script != null);
            } finally {
                HostCommand.of("buildah", "umount", container).check();
            }
            HostCommand.of("buildah", "config", "--entrypoint", "[]", "--cmd", toJson(command),
                    "--env", "PATH=/bin", container).check();
            HostCommand.of("buildah", "commit", "-q", "--format", "oci", container, local).check();
            HostCommand.of("buildah", "push", "--tls-verify=false", local, "docker://" + ref)
                    .withTimeout(Duration.ofSeconds(120)).check();
        } finally {
            HostCommand.of("buildah", "rm", container).run();
            HostCommand.of("buildah", "rmi", "-f", local).run();
        }
    }

    /**
     * Fills {@code root} with busybox-static and its applet links, {@code /etc/rsit-release}, and
     * with {@code app} the app script as {@code /app.sh}.
     */
    public static void writeRootfs(Path root, boolean app) throws IOException {
        Path bin = Files.createDirectories(root.resolve("bin"));
        for (String dir : List.of("etc", "tmp", "proc", "dev", "sys")) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.copy(HostTools.BUSYBOX, bin.resolve("busybox"));
        HostCommand.of("chroot", root.toString(), "/bin/busybox", "--install", "-s", "/bin").check();
        Files.writeString(root.resolve("etc/rsit-release"), RELEASE_TEXT + "\n");
        if (app) {
            Path script = root.resolve("app.sh");
            Files.writeString(script, APP_SCRIPT);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static String toJson(List<String> argv) {
        StringBuilder json = new StringBuilder("[");
        for (String arg : argv) {
            json.append(json.length() > 1 ? "," : "").append('"').append(arg.replace("\"", "\\\"")).append('"');
        }
        return json.append(']').toString();
    }
}
