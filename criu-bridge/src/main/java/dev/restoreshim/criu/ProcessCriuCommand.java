package dev.restoreshim.criu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link CriuCommand} on the real binary through {@link ProcessBuilder}: stdout and stderr merged,
 * at most {@value #MAX_OUTPUT} bytes kept, the process killed when it passes its timeout.
 */
public final class ProcessCriuCommand implements CriuCommand {
    /** Bytes of output kept; {@code criu --help} is about 12 KiB. */
    static final int MAX_OUTPUT = 256 * 1024;

    private final String binary;

    /** @param binary a name looked up on PATH or an absolute path */
    public ProcessCriuCommand(String binary) {
        this.binary = binary;
    }

    @Override
    public String binary() {
        return binary;
    }

    @Override
    public Result run(List<String> args, Duration timeout) {
        List<String> argv = new ArrayList<>(List.of(binary));
        argv.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                    new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return new Result(-1, "cannot run " + binary + ": " + e.getMessage());
        }
        try {
            byte[][] out = new byte[1][];
            Thread reader = Thread.ofVirtual().start(() -> out[0] = readBounded(p.getInputStream()));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(1, TimeUnit.SECONDS);
                return new Result(-1, String.join(" ", argv) + ": no answer within " + timeout.toMillis() + " ms");
            }
            reader.join(Duration.ofSeconds(1));
            String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
            return new Result(p.exitValue(), text);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(-1, String.join(" ", argv) + ": interrupted");
        }
    }

    private static byte[] readBounded(InputStream in) {
        try (in) {
            byte[] kept = in.readNBytes(MAX_OUTPUT);
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return kept;
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
