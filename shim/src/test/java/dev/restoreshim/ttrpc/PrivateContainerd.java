package dev.restoreshim.ttrpc;

import dev.restoreshim.sys.UnixSocketFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A containerd with its own root, state and sockets under one directory; stopped by close(). */
final class PrivateContainerd implements AutoCloseable {
    final Path dir;
    final Path grpc;
    final Path ttrpc;
    private final Process process;

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/containerd")) && Files.isExecutable(Path.of("/usr/bin/ctr"))
                && UnixSocketFile.currentUid() == 0;
    }

    PrivateContainerd(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        this.grpc = dir.resolve("c.sock");
        this.ttrpc = dir.resolve("c.sock.ttrpc");
        Path config = dir.resolve("config.toml");
        Files.writeString(config, """
                version = 3
                root = "%s"
                state = "%s"
                disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]
                [grpc]
                  address = "%s"
                [ttrpc]
                  address = "%s"
                [debug]
                  address = ""
                [metrics]
                  address = ""
                """.formatted(dir.resolve("root"), dir.resolve("state"), grpc, ttrpc));
        process = new ProcessBuilder("/usr/bin/containerd", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(UnixSocketFile.isListening(ttrpc) && UnixSocketFile.isListening(grpc))) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                close();
                throw new IOException("containerd did not start: " + log());
            }
            Thread.sleep(50);
        }
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("containerd.log"));
    }

    /** Runs {@code ctr --address <grpc> args...} and returns its combined output. */
    String ctr(String... args) throws IOException, InterruptedException {
        var cmd = new java.util.ArrayList<String>(java.util.List.of("/usr/bin/ctr", "--address", grpc.toString()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return out;
    }

    Process ctrBackground(String... args) throws IOException {
        var cmd = new java.util.ArrayList<String>(java.util.List.of("/usr/bin/ctr", "--address", grpc.toString()));
        cmd.addAll(java.util.List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
