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
        Output o = runBounded(argv, timeout, true);
        return o.problem().isEmpty() ? new Result(o.exitCode(), new String(o.bytes(), StandardCharsets.UTF_8))
                : new Result(-1, o.problem());
    }

    /**
     * What a process printed (its first {@value #MAX_OUTPUT} bytes) and its exit code; or, when it
     * could not be started, passed {@code timeout} (it is killed then) or the wait was
     * interrupted, why ({@code problem}, exit code -1).
     */
    record Output(int exitCode, byte[] bytes, String problem) {
    }

    /**
     * Runs {@code argv} with stdin from /dev/null and stdout (with stderr when {@code withStderr},
     * else stderr discarded) read on a virtual thread, so that the timeout holds even when the
     * process keeps its stdout open.
     */
    static Output runBounded(List<String> argv, Duration timeout, boolean withStderr) {
        Process p;
        try {
            ProcessBuilder b = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(
                    new java.io.File("/dev/null")));
            p = (withStderr ? b.redirectErrorStream(true) : b.redirectError(ProcessBuilder.Redirect.DISCARD)).start();
        } catch (IOException e) {
            return new Output(-1, new byte[0], "cannot run " + argv.getFirst() + ": " + e.getMessage());
        }
        try {
            byte[][] out = new byte[1][];
            Thread reader = Thread.ofVirtual().start(() -> out[0] = readBounded(p.getInputStream()));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(1, TimeUnit.SECONDS);
                return new Output(-1, new byte[0], String.join(" ", argv) + ": no answer within " + timeout.toMillis()
                        + " ms");
            }
            reader.join(Duration.ofSeconds(1));
            return new Output(p.exitValue(), out[0] == null ? new byte[0] : out[0], "");
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Output(-1, new byte[0], String.join(" ", argv) + ": interrupted");
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
