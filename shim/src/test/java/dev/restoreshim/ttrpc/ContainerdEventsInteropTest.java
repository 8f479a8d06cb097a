package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.fail;

import dev.restoreshim.events.Topic;
import dev.restoreshim.proto.containerd.events.TaskOOM;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forwards a TaskOOM to a private containerd 2.x and reads it back with {@code ctr events}.
 * Needs root and containerd/ctr in /usr/bin.
 */
@Tag("containerd")
@EnabledIf("dev.restoreshim.ttrpc.PrivateContainerd#available")
class ContainerdEventsInteropTest {
    @TempDir
    Path dir;

    @Test
    void forwardedTaskOomShowsUpInCtrEvents() throws Exception {
        try (var containerd = new PrivateContainerd(dir)) {
            Process events = containerd.ctrBackground("events");
            try {
                var lines = new LinkedBlockingQueue<String>();
                Thread.ofVirtual().start(() -> {
                    try (var r = new BufferedReader(new InputStreamReader(events.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            lines.add(line);
                        }
                    } catch (IOException ignored) {
                        // process ended
                    }
                });
                try (var sink = new TtrpcEventSink(new TtrpcClient(containerd.ttrpc), Duration.ofSeconds(5), Clock.systemUTC())) {
                    // ctr subscribes asynchronously: forward until the event shows up.
                    var seen = new StringBuilder();
                    for (int attempt = 0; attempt < 50; attempt++) {
                        sink.send("default", Topic.TASK_OOM, TaskOOM.newBuilder().setContainerId("java-ttrpc-interop").build());
                        for (String line = lines.poll(200, TimeUnit.MILLISECONDS); line != null; line = lines.poll(10, TimeUnit.MILLISECONDS)) {
                            seen.append(line).append('\n');
                            if (line.contains("/tasks/oom") && line.contains("java-ttrpc-interop")) {
                                return;
                            }
                        }
                    }
                    fail("ctr events never showed the TaskOOM; output:\n" + seen);
                }
            } finally {
                events.destroy();
                events.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
