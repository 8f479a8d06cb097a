package dev.restoreshim.criu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code criu lazy-pages} daemon serving the memory of one lazy restore through userfaultfd. It
 * is started before {@code runc restore} (whose CRIU gets {@code lazy-pages} from the config file)
 * on the same images and work directory: it listens on {@code lazy-pages.socket} in the work
 * directory, which the restoring CRIU finds there. {@link #launch} spawns it and returns at once,
 * so that its start (CRIU's kernel feature probe, tens of ms) overlaps other work;
 * {@link #awaitReady} returns once the daemon says it is ready ({@code --status-fd 1}: a NUL byte
 * on its stdout), and only then may the restore connect. {@link #exit} completes when it has
 * served every page and exited (or failed). The images must stay where they are until then.
 * {@link #close} kills it if it still runs.
 */
public final class LazyPagesDaemon implements AutoCloseable {
    /** The daemon's log, in the work directory. */
    public static final String LOG = "lazy-pages.log";

    /**
     * How a daemon ended.
     *
     * @param exitCode its exit code (0: every page served)
     * @param servingMs from ready (or, if it never was, from launch) to exit
     * @param error the first real error of its log (with the log path), empty when it exited 0
     */
    public record Outcome(int exitCode, long servingMs, Optional<String> error) {
        /** Whether every page was served. */
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private final Process process;
    private final String criu;
    private final Path images;
    private final Path work;
    private final InputStream status;
    /** The first byte of its status fd, or -1 when it closed stdout first. */
    private final CompletableFuture<Integer> ready;
    private volatile long readyNanos;
    private final CompletableFuture<Outcome> exit;

    private LazyPagesDaemon(Process process, String criu, Path images, Path work) {
        this.process = process;
        this.criu = criu;
        this.images = images;
        this.work = work;
        this.status = process.getInputStream();
        this.readyNanos = System.nanoTime();
        this.ready = CompletableFuture.supplyAsync(this::readStatus,
                r -> Thread.ofVirtual().name("lazy-pages-ready").start(r));
        this.exit = process.onExit().thenApply(p -> outcome(p.exitValue()));
    }

    /**
     * Spawns {@code criu lazy-pages --images-dir images --work-dir work} and returns without
     * waiting; {@link #awaitReady} must succeed before a restore connects to it.
     *
     * @throws CriuException LAZY_PAGES_FAILED when it cannot be started
     */
    public static LazyPagesDaemon launch(String criu, Path images, Path work) {
        List<String> argv = List.of(criu, "lazy-pages", "--images-dir", images.toString(), "--work-dir", work.toString(),
                "--status-fd", "1", "-v4", "-o", LOG);
        try {
            Files.createDirectories(work);
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            return new LazyPagesDaemon(p, criu, images, work);
        } catch (IOException e) {
            throw new CriuException(CriuException.Reason.LAZY_PAGES_FAILED, "lazy pages: cannot start " + criu
                    + " lazy-pages: " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the daemon is ready to serve (at once if it already is).
     *
     * @throws CriuException LAZY_PAGES_FAILED with CRIU's first error and the log path when it
     *     exits first or is not ready within {@code timeout} (it is killed then)
     */
    public void awaitReady(Duration timeout) {
        String failure;
        try {
            int b = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (b == 0) {
                return;
            }
            failure = "exited before it was ready" + exitNote(process);
        } catch (TimeoutException e) {
            failure = "not ready within " + timeout.toMillis() + " ms";
        } catch (ExecutionException e) {
            failure = "cannot read its status: " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted while waiting for it";
        }
        kill(process);
        Path log = work.resolve(LOG);
        throw new CriuException(CriuException.Reason.LAZY_PAGES_FAILED, "lazy pages: " + criu + " lazy-pages on "
                + images + ": " + failure + CriuLog.firstError(log).map(e -> ": " + e.describe()).orElse("; log " + log));
    }

    private int readStatus() {
        try {
            int b = status.read();
            if (b == 0) {
                readyNanos = System.nanoTime();
                Thread.ofVirtual().name("lazy-pages-output").start(() -> drain(status));
            }
            return b;
        } catch (IOException e) {
            return -1;
        }
    }

    /** The daemon's pid. */
    public long pid() {
        return process.pid();
    }

    /** Completes when the daemon has exited: all pages served (exit 0), or failed. */
    public CompletableFuture<Outcome> exit() {
        return exit;
    }

    /** Kills the daemon if it still runs (the restore failed or the container goes away first). */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill(process);
        }
    }

    private Outcome outcome(int code) {
        long ms = (System.nanoTime() - readyNanos) / 1_000_000;
        if (code == 0) {
            return new Outcome(0, ms, Optional.empty());
        }
        Path log = work.resolve(LOG);
        return new Outcome(code, ms, Optional.of(CriuLog.firstError(log).map(CriuLogError::describe)
                .orElse("exit " + code + "; log " + log)));
    }

    private static String exitNote(Process p) {
        try {
            return p.waitFor(1, TimeUnit.SECONDS) ? " (exit " + p.exitValue() + ")" : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void kill(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void drain(InputStream in) {
        try (in) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the daemon closed its stdout: nothing more to read
        }
    }
}
