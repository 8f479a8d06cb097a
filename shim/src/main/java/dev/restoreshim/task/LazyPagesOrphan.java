package dev.restoreshim.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code criu lazy-pages} daemon that outlived the node daemon which started it, found through
 * the pid file the node daemon writes into the restore's CRIU work dir
 * ({@code <bundle>/criu-work/}{@value #PID_FILE}). A pid is trusted only while its command line
 * is a lazy-pages daemon on that work dir: a recycled pid names some other process.
 */
public final class LazyPagesOrphan {
    /** The pid file's name in the CRIU work dir. */
    public static final String PID_FILE = "lazy-pages.pid";

    private LazyPagesOrphan() {
    }

    /** The live lazy-pages daemon {@code work}'s pid file names, if any. */
    public static Optional<ProcessHandle> find(Path work) throws IOException {
        Path pidFile = work.resolve(PID_FILE);
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (NumberFormatException e) {
            throw new IOException(pidFile + ": not a pid: " + e.getMessage(), e);
        }
        return ProcessHandle.of(pid).filter(h -> h.info().commandLine()
                .map(c -> c.contains(" lazy-pages ") && c.contains(work.toString())).orElse(false));
    }

    /**
     * Kills the daemon {@link #find} finds (SIGKILL), waits up to {@code wait} for it to exit and
     * removes the pid file. Returns the pid killed, empty when none ran.
     *
     * @throws IOException when the pid file cannot be read or removed, or the daemon is still
     *     alive after {@code wait}
     */
    public static OptionalLong kill(Path work, Duration wait) throws IOException {
        Optional<ProcessHandle> found = find(work);
        if (found.isPresent()) {
            ProcessHandle p = found.get();
            p.destroyForcibly();
            try {
                p.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IOException("criu lazy-pages pid " + p.pid() + " still alive " + wait.toMillis() + " ms after SIGKILL");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for criu lazy-pages pid " + p.pid(), e);
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            }
        }
        Files.deleteIfExists(work.resolve(PID_FILE));
        return found.map(p -> OptionalLong.of(p.pid())).orElse(OptionalLong.empty());
    }
}
