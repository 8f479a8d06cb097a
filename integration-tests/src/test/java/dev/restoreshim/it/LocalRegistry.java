package dev.restoreshim.it;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A real OCI registry (Debian's docker-registry 2.8) on 127.0.0.1, run with Testcontainers on the
 * Podman service. Its image is built without network: {@code podman import} of a rootfs holding the
 * registry binary, the libc and loader it links, and a minimal config.
 */
public final class LocalRegistry implements AutoCloseable {

    /** Tag of the locally built registry image in Podman's storage. */
    public static final String IMAGE = "localhost/restore-shim-it/registry:2.8";
    private static final int PORT = 5000;

    private final GenericContainer<?> container;

    private LocalRegistry(GenericContainer<?> container) {
        this.container = container;
    }

    /** Builds the registry image if Podman lacks it, then runs it and waits until {@code /v2/} answers. */
    public static LocalRegistry start(PodmanService podman, Path workDir) throws IOException {
        buildImage(podman, workDir);
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withExposedPorts(PORT)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withPublishAllPorts(false)
                        .withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), ExposedPort.tcp(PORT))))
                .waitingFor(Wait.forHttp("/v2/").forStatusCode(200).withStartupTimeout(Duration.ofSeconds(60)));
        container.start();
        return new LocalRegistry(container);
    }

    /** {@code localhost:PORT}: containerd and buildah treat localhost registries as plain HTTP. */
    public String host() {
        return "localhost:" + container.getMappedPort(PORT);
    }

    /** The registry's log so far (for failure messages). */
    public String logs() {
        return container.getLogs();
    }

    @Override
    public void close() {
        container.stop();
    }

    private static void buildImage(PodmanService podman, Path workDir) throws IOException {
        if (HostCommand.of("podman", "image", "exists", IMAGE).run().ok()) {
            return;
        }
        Path root = Files.createTempDirectory(workDir, "registry-rootfs");
        try {
            Path lib = Files.createDirectories(root.resolve("lib/x86_64-linux-gnu"));
            Files.createDirectories(root.resolve("lib64"));
            Files.createDirectories(root.resolve("usr/bin"));
            Files.createDirectories(root.resolve("var/lib/registry"));
            Files.createDirectories(root.resolve("tmp"));
            Path conf = Files.createDirectories(root.resolve("etc/docker/registry"));
            Files.copy(HostTools.DOCKER_REGISTRY, root.resolve("usr/bin/docker-registry"));
            Files.copy(Path.of("/lib/x86_64-linux-gnu/libc.so.6"), lib.resolve("libc.so.6"));
            Files.copy(Path.of("/lib64/ld-linux-x86-64.so.2"), root.resolve("lib64/ld-linux-x86-64.so.2"));
            Files.writeString(conf.resolve("config.yml"), """
                    version: 0.1
                    log:
                      level: info
                    storage:
                      filesystem:
                        rootdirectory: /var/lib/registry
                      delete:
                        enabled: true
                    http:
                      addr: :5000
                    """);
            Path tar = workDir.resolve("registry-rootfs.tar");
            HostCommand.of("tar", "-C", root.toString(), "-cf", tar.toString(), ".").check();
            HostCommand.of("podman", "import",
                            "--change", "ENTRYPOINT [\"/usr/bin/docker-registry\", \"serve\", \"/etc/docker/registry/config.yml\"]",
                            "--change", "EXPOSE 5000",
                            tar.toString(), IMAGE)
                    .withEnv(java.util.Map.of("CONTAINERS_CONF", podman.containersConf().toString()))
                    .check();
            Files.delete(tar);
        } finally {
            deleteTree(root);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
