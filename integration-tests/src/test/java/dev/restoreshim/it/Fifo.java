package dev.restoreshim.it;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * A named pipe the test reads from, as containerd reads a task's stdio: created with mkfifo and
 * drained by a platform thread (opening a FIFO blocks until the writer opens it).
 */
public final class Fifo implements AutoCloseable {

    private final Path path;
    private final StringBuffer content = new StringBuffer();
    private final Thread reader;

    private Fifo(Path path) {
        this.path = path;
        this.reader = Thread.ofPlatform().daemon().name("fifo-" + path.getFileName()).start(this::drain);
    }

    /** Makes the FIFO and starts reading it. */
    public static Fifo create(Path path) {
        HostCommand.of("mkfifo", path.toString()).check();
        return new Fifo(path);
    }

    public Path path() {
        return path;
    }

    /** Waits until what was read satisfies {@code test}; returns it. */
    public String await(Predicate<String> test, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!test.test(content.toString())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("FIFO " + path + " did not deliver the expected output within " + limit
                        + "; got:\n" + content);
            }
            PodmanService.sleep(50);
        }
        return content.toString();
    }

    private void drain() {
        try (InputStream in = new FileInputStream(path.toFile())) {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) > 0) {
                content.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // writer gone
        }
    }

    /** Unblocks a reader still waiting for a writer by opening the write end once. */
    @Override
    public void close() {
        if (reader.isAlive()) {
            try (var out = new java.io.FileOutputStream(path.toFile())) {
                out.flush();
            } catch (IOException ignored) {
                // nobody reads any more
            }
        }
    }
}
