package dev.restoreshim.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands with {@link ProcessBuilder}, bounded by a timeout after which the child is killed.
 * Output is read on a virtual thread (first 64 KiB kept), so a child that fills its pipe or never
 * exits cannot block the caller past the timeout.
 */
final class ProcessCommandRunner implements CommandRunner {
    private static final int MAX_OUTPUT = 64 * 1024;
    private final Duration timeout;

    ProcessCommandRunner(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public CommandResult run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .start();
        CompletableFuture<byte[]> output = new CompletableFuture<>();
        Thread.ofVirtual().name("output-" + argv.getFirst()).start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] head = in.readNBytes(MAX_OUTPUT);
                in.transferTo(OutputStream.nullOutputStream());
                output.complete(head);
            } catch (IOException e) {
                output.completeExceptionally(e);
            }
        });
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + ": no exit after " + timeout.toSeconds() + " s");
            }
            byte[] out = output.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new CommandResult(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", argv) + ": interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException(String.join(" ", argv) + ": reading output: " + e.getMessage(), e);
        }
    }
}
