package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The life of one demo or benchmark JVM that deploy/run-bench.sh runs through Maven: it writes
 * its pid to {@code target/demo.pid} (the script sends SIGTERM there on Ctrl-C), runs the body,
 * closes what the body started ({@link DemoResources}) on the main thread, or after a signal in
 * the shutdown hook once the call in flight is done, and writes the exit code to
 * {@code target/demo.exit}, because Maven prints a stack trace for any exit code it does not
 * expect. Exit codes: 0 done, 1 failed, {@link #EXIT_INTERRUPTED} after a signal.
 */
final class DemoRun {
    /** Exit code after SIGINT or SIGTERM (as a shell reports Ctrl-C). */
    static final int EXIT_INTERRUPTED = 130;

    /** What the run does. */
    interface Body {
        void run() throws Exception;
    }

    private final String who;
    private final String inFlight;
    private final Duration grace;
    private final Path pidFile = TestEnvironment.workDir().resolve("demo.pid");
    private final Path exitFile = TestEnvironment.workDir().resolve("demo.exit");
    private final DemoResources resources;
    private final CountDownLatch mainDone = new CountDownLatch(1);
    /** Set when the run ends or a signal arrives; loops stop at their next {@link #checkNotStopping}. */
    private volatile boolean stopping;
    /** Set by the shutdown hook when a signal, not the end of the run, stopped the JVM. */
    private volatile boolean interrupted;

    /**
     * @param who         prefix of the run's own lines ("demo", "bench")
     * @param cleanupLine printed once when there is something to close
     * @param inFlight    what a signal waits for ("the pod in flight")
     * @param grace       how long the shutdown hook waits for it
     */
    DemoRun(String who, String cleanupLine, String inFlight, Duration grace) {
        this.who = who;
        this.inFlight = inFlight;
        this.grace = grace;
        this.resources = new DemoResources(who, cleanupLine, pidFile, () -> this.stopping);
    }

    /** Where the body registers what it starts. */
    DemoResources resources() {
        return resources;
    }

    /** Throws once the run is being stopped. */
    void checkNotStopping() {
        if (stopping) {
            throw new IllegalStateException("stopped");
        }
    }

    /** Runs {@code body}, cleans up and returns the exit code. */
    int run(Body body) {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(this::onSignal));
        // Testcontainers' own shutdown hook (Ryuk is off) prunes through the Podman service, which
        // the cleanup has already stopped; its failure is expected then and not worth a trace.
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (!stopping) {
                System.err.println(who + ": " + thread.getName() + ": " + e);
            }
        });
        int code = 1;
        try {
            Files.deleteIfExists(exitFile);
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
            body.run();
            code = 0;
        } catch (Exception | AssertionError e) {
            if (!stopping) {
                System.out.println(who + ": FAILED: " + e);
                System.out.println(who + ": logs in " + TestEnvironment.logDir());
            }
        } finally {
            stopping = true;
            resources.closeAll();
            code = interrupted ? EXIT_INTERRUPTED : code;
            writeExitCode(code);
            mainDone.countDown();
        }
        return code;
    }

    /**
     * Shutdown hook. After a normal end it has nothing to do. After SIGINT/SIGTERM it lets the
     * call in flight finish (so nothing is started behind the cleanup's back), cleans up and halts.
     */
    private void onSignal() {
        if (stopping) {
            return;
        }
        interrupted = true;
        stopping = true;
        System.out.println("\n" + who + ": interrupted, finishing " + inFlight + ", then cleaning up");
        try {
            mainDone.await(grace.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        resources.closeAll();
        writeExitCode(EXIT_INTERRUPTED);
        Runtime.getRuntime().halt(EXIT_INTERRUPTED);
    }

    private void writeExitCode(int code) {
        try {
            Files.writeString(exitFile, code + "\n");
        } catch (IOException e) {
            System.err.println(who + ": cannot write " + exitFile + ": " + e.getMessage());
        }
    }
}
