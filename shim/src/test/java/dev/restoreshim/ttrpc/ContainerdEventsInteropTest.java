package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.restoreshim.events.Topic;
import dev.restoreshim.proto.containerd.events.TaskOOM;
import dev.restoreshim.sys.UnixSocketFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forwards a TaskOOM to a private containerd 2.x (own root, state and sockets in a temp dir) and
 * reads it back with {@code ctr events}. Needs root and containerd/ctr on the PATH.
 */
@Tag("containerd")
@EnabledIf("containerdAvailable")
class ContainerdEventsInteropTest {
    @TempDir
    Path dir;
    private Process containerd;
    private Process ctrEvents;

    static boolean containerdAvailable() {
        return Files.isExecutable(Path.of("/usr/bin/containerd")) && Files.isExecutable(Path.of("/usr/bin/ctr"))
                && UnixSocketFile.currentUid() == 0;
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : new Process[] {ctrEvents, containerd}) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    private Process startContainerd(Path grpc, Path ttrpc) throws IOException {
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
        return new ProcessBuilder("/usr/bin/containerd", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
    }

    @Test
    void forwardedTaskOomShowsUpInCtrEvents() throws Exception {
        Path grpc = dir.resolve("c.sock");
        Path ttrpc = dir.resolve("c.sock.ttrpc");
        containerd = startContainerd(grpc, ttrpc);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(UnixSocketFile.isListening(ttrpc) && UnixSocketFile.isListening(grpc))) {
            if (System.nanoTime() > deadline || !containerd.isAlive()) {
                fail("containerd did not start: " + Files.readString(dir.resolve("containerd.log")));
            }
            Thread.sleep(50);
        }
        ctrEvents = new ProcessBuilder("/usr/bin/ctr", "--address", grpc.toString(), "events")
                .redirectErrorStream(true).start();
        var lines = new LinkedBlockingQueue<String>();
        Thread.ofVirtual().start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(ctrEvents.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        try (var sink = new TtrpcEventSink(new TtrpcClient(ttrpc), Duration.ofSeconds(5), Clock.systemUTC())) {
            // ctr subscribes asynchronously: forward until the event shows up.
            var seen = new StringBuilder();
            for (int attempt = 0; attempt < 50; attempt++) {
                sink.send("default", Topic.TASK_OOM, TaskOOM.newBuilder().setContainerId("java-ttrpc-interop").build());
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                while (line != null) {
                    seen.append(line).append('\n');
                    if (line.contains("/tasks/oom") && line.contains("java-ttrpc-interop")) {
                        return;
                    }
                    line = lines.poll(10, TimeUnit.MILLISECONDS);
                }
            }
            fail("ctr events never showed the TaskOOM; output:\n" + seen);
        }
    }
}
