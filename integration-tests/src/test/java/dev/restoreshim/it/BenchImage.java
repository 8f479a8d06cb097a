package dev.restoreshim.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The restore benchmark's image: busybox-static (for exec) plus {@code /fill}, a static C program
 * compiled at harness time ({@code gcc -static -O2}) from the test resource {@code bench/fill.c}.
 * It fills {@code BENCH_MIB} MiB with pseudo-random data, prints {@link #FILLED} and then
 * {@code bench: tick K sum X} every 100 ms. Pushed to the loopback registry so that containerd
 * records a repo digest (CRI restore needs one).
 *
 * @param ref the pushed image reference
 */
public record BenchImage(String ref) {

    /** Printed once the memory is filled. */
    public static final String FILLED = "bench: filled ";
    /** The env var the app reads its size in MiB from. */
    public static final String SIZE_ENV = "BENCH_MIB";

    /** Compiles the app, builds the image from scratch and pushes it to {@code registry}. */
    public static BenchImage buildAndPush(LocalRegistry registry) throws IOException {
        String ref = registry.host() + "/rsit/bench-fill:1";
        String local = "localhost/rsit-build-" + ProcessHandle.current().pid() + "/bench-fill:1";
        Path source = Files.createTempFile("bench-fill", ".c");
        String container = null;
        try {
            try (InputStream in = BenchImage.class.getResourceAsStream("/bench/fill.c")) {
                if (in == null) {
                    throw new IOException("test resource bench/fill.c is missing from the classpath");
                }
                Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            container = HostCommand.of("buildah", "from", "scratch").check().stdout().strip();
            Path root = Path.of(HostCommand.of("buildah", "mount", container).check().stdout().strip());
            try {
                TestImages.writeRootfs(root, false);
                HostCommand.of("gcc", "-static", "-O2", "-o", root.resolve("fill").toString(), source.toString()).check();
            } finally {
                HostCommand.of("buildah", "umount", container).check();
            }
            HostCommand.of("buildah", "config", "--entrypoint", "[]", "--cmd", "[\"/fill\"]",
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
        return new BenchImage(ref);
    }
}
