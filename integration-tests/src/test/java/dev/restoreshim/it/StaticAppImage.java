package dev.restoreshim.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Builds a test image around one static C program: busybox-static with its applet links and
 * {@code /etc/rsit-release} (see {@link TestImages#writeRootfs}), plus the program compiled from a
 * test resource with {@code gcc -static -O2} as {@code /<binary>}, which is the image's command.
 * Pushed to the loopback registry so that containerd records a repo digest (CRI restore needs one).
 */
public final class StaticAppImage {

    private StaticAppImage() {
    }

    /**
     * Compiles {@code resource} (a classpath path such as {@code /bench/fill.c}) into {@code /binary},
     * builds the image from scratch and pushes it as {@code <registry>/rsit/<repo>}; returns the reference.
     */
    public static String buildAndPush(LocalRegistry registry, String resource, String binary, String repo) throws IOException {
        String ref = registry.host() + "/rsit/" + repo;
        String local = "localhost/rsit-build-" + ProcessHandle.current().pid() + "/" + repo;
        Path source = Files.createTempFile("rsit-app", ".c");
        String container = null;
        try {
            try (InputStream in = StaticAppImage.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IOException("test resource " + resource + " is missing from the classpath");
                }
                Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            container = HostCommand.of("buildah", "from", "scratch").check().stdout().strip();
            Path root = Path.of(HostCommand.of("buildah", "mount", container).check().stdout().strip());
            try {
                TestImages.writeRootfs(root, false);
                HostCommand.of("gcc", "-static", "-O2", "-o", root.resolve(binary).toString(), source.toString()).check();
            } finally {
                HostCommand.of("buildah", "umount", container).check();
            }
            HostCommand.of("buildah", "config", "--entrypoint", "[]", "--cmd", "[\"/" + binary + "\"]",
                    "--env", "PATH=/bin", container).check();
            HostCommand.of("buildah", "commit", "-q", "--format", "oci", container, local).check();
            HostCommand.of("buildah", "push", "--tls-verify=false", local, "docker://" + ref)
                    .withTimeout(Duration.ofSeconds(120)).check();
        } finally {
            if (container != null) {
                HostCommand.of("buildah", "rm", container).run();
                HostCommand.of("buildah", "rmi", "-f", local).run();
            }
            Files.deleteIfExists(source);
        }
        return ref;
    }
}
