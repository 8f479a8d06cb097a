package dev.restoreshim.it;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Podman's Docker-compatible API service ({@code podman system service --time=0 unix://SOCK}), the
 * engine Testcontainers uses here. It runs with its own {@code CONTAINERS_CONF}: runc as OCI runtime
 * (crun refuses hybrid cgroups on these machines) and default ulimits that do not raise the
 * host's limits (raising them is refused here, see java-libs.md section 6).
 */
public final class PodmanService implements AutoCloseable {

    private final Path socket;
    private final Path containersConf;
    private final Process process;

    private PodmanService(Path socket, Path containersConf, Process process) {
        this.socket = socket;
        this.containersConf = containersConf;
        this.process = process;
    }

    /**
     * Starts the service on the socket named by {@code DOCKER_HOST} (which Testcontainers reads too)
     * and waits until it answers {@code /_ping}.
     */
    public static PodmanService start(Path logDir) throws IOException {
        String dockerHost = System.getenv("DOCKER_HOST");
        if (dockerHost == null || !dockerHost.startsWith("unix://")) {
            throw new IllegalStateException("DOCKER_HOST must name the unix socket for the Podman service the tests start"
                    + " (failsafe sets it; from an IDE set DOCKER_HOST=unix:///tmp/rsit-podman.sock,"
                    + " TESTCONTAINERS_RYUK_DISABLED=true, TESTCONTAINERS_HOST_OVERRIDE=localhost), got: " + dockerHost);
        }
        Path socket = Path.of(dockerHost.substring("unix://".length()));
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        Path conf = socket.getParent().resolve("containers.conf");
        Files.writeString(conf, """
                [containers]
                default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
                [engine]
                runtime = "runc"
                """);
        Files.createDirectories(logDir);
        ProcessBuilder builder = new ProcessBuilder("podman", "system", "service", "--time=0", dockerHost)
                .redirectErrorStream(true)
                .redirectOutput(logDir.resolve("podman-service.log").toFile());
        builder.environment().put("CONTAINERS_CONF", conf.toString());
        PodmanService service = new PodmanService(socket, conf, builder.start());
        try {
            service.awaitPing(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            service.close();
            throw e;
        }
        return service;
    }

    /** The {@code CONTAINERS_CONF} file that podman CLI calls must use too. */
    public Path containersConf() {
        return containersConf;
    }

    /** The API socket. */
    public Path socket() {
        return socket;
    }

    private void awaitPing(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("podman system service exited with " + process.exitValue()
                        + " (see target/it-logs/podman-service.log)");
            }
            if (ping()) {
                return;
            }
            sleep(100);
        }
        throw new IllegalStateException("podman system service did not answer /_ping on " + socket + " within " + limit);
    }

    private boolean ping() {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            while (channel.read(buffer) > 0) {
                // read to the end of the reply
            }
            String reply = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
            return reply.startsWith("HTTP/1.") && reply.contains(" 200 ");
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the service process and removes its socket. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(socket);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // the socket directory lives under target/ and goes with `mvn clean`
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
