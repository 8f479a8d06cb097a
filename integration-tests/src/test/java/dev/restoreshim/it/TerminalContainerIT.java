package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A terminal container run with {@code ctr run -t} (console socket, pty master handed to the shim),
 * driven through {@code script} so that ctr itself has a pty: the container sees a tty, reads a
 * line typed into it, and its exit code comes back through ctr.
 */
@ExtendWith(TestEnvironment.class)
class TerminalContainerIT {

    private static final String CONTAINER = "tty1";

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.restoreshim.it.Handler#testedStream")
    void ctrRunWithTtyEchoesInputAndReturnsExitCode(Handler handler) throws Exception {
        TestImages images = TestEnvironment.images();
        try (PrivateContainerd containerd = PrivateContainerd.start("TerminalContainerIT", handler,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> run(containerd, images),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void run(PrivateContainerd containerd, TestImages images) throws Exception {
        containerd.ctr("images", "pull", "--plain-http", images.app()).withTimeout(Duration.ofMinutes(2)).check();
        String ctr = String.join(" ", List.of("ctr", "--address", containerd.socket().toString(),
                "--namespace", PrivateContainerd.CTR_NAMESPACE, "run", "--rm", "-t",
                "--runtime", containerd.handler().runtimeType(),
                "--cgroup", containerd.cgroupParent() + "/" + CONTAINER,
                images.app(), CONTAINER,
                "sh", "-c", "'tty; echo hello-tty; read line; echo got:$line; exit 7'"));
        Process process = new ProcessBuilder("script", "-qec", ctr, "/dev/null").redirectErrorStream(true).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> copy(process.getInputStream(), output));
        try (OutputStream stdin = process.getOutputStream()) {
            awaitOutput(output, "hello-tty", process, reader);
            stdin.write("abc\n".getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "ctr run did not finish; output:\n" + text(output));
        } finally {
            process.destroyForcibly();
        }
        reader.join(5000);
        String out = text(output);
        assertTrue(out.contains("/dev/pts/"), "container stdin is a tty:\n" + out);
        assertTrue(out.contains("got:abc"), "line typed into the terminal reached the container:\n" + out);
        assertEquals(7, process.exitValue(), "exit code through ctr run -t; output:\n" + out);
        LeakCheck.assertClean(containerd, List.of(CONTAINER));
    }

    private static void awaitOutput(ByteArrayOutputStream output, String expected, Process process, Thread reader)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!text(output).contains(expected)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                reader.join(2000);
                throw new AssertionError("ctr run -t never printed " + expected + " (alive=" + process.isAlive() + "); output:\n"
                        + text(output));
            }
            PodmanService.sleep(50);
        }
    }

    private static String text(ByteArrayOutputStream output) {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException ignored) {
            // process ended
        }
    }
}
