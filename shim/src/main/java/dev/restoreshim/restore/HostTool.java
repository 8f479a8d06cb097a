package dev.restoreshim.restore;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.LaunchSpec;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A short-lived host command (such as {@code mkfs.erofs}) started through the daemon's
 * {@link ProcessLauncher}, awaited through its {@link Reaper} with a timeout after which it is
 * killed, its stderr written to a file beside its output so that a failure can quote its last
 * line. stdout is {@code /dev/null}.
 *
 * @param launcher spawns the child
 * @param reaper observes its exit
 * @param fds opens the stderr file
 * @param signals kills it at the timeout
 * @param timeout how long the command may run
 */
record HostTool(ProcessLauncher launcher, Reaper reaper, Fds fds, Signals signals, Duration timeout) {

    /**
     * Runs {@code argv}, writing its stderr to {@code errFile} (removed afterwards).
     *
     * @throws ShimException FAILED_PRECONDITION when the command cannot be executed,
     *     DEADLINE_EXCEEDED after the timeout, INTERNAL for a non-zero exit, each naming
     *     {@code what}, the command and its last stderr line
     */
    void run(String what, List<String> argv, Path errFile) {
        String command = argv.getFirst();
        int pid;
        int err = fds.open(errFile.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_TRUNC, 0600);
        try {
            pid = launcher.spawn(new LaunchSpec(argv, System.getenv(), null, Map.of(2, err)));
        } catch (SysException e) {
            deleteQuietly(errFile);
            throw new ShimException(ErrorKind.FAILED_PRECONDITION, what + ": cannot execute " + command + " ("
                    + e.errnoName() + "); is it installed?", e);
        } finally {
            fds.close(err);
        }
        try {
            ExitStatus exit = await(what, command, pid);
            if (exit.exitCode() != 0) {
                String reason = lastLine(errFile);
                throw ShimException.internal(what + ": " + command + " failed (exit " + exit.exitCode()
                        + (exit.signal() != 0 ? ", signal " + exit.signal() : "") + ")"
                        + (reason.isEmpty() ? "" : ": " + reason), null);
            }
        } finally {
            deleteQuietly(errFile);
        }
    }

    private ExitStatus await(String what, String command, int pid) {
        var exit = reaper.watch(pid);
        try {
            return exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            try {
                signals.kill(pid, Signals.SIGKILL);
                exit.get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // killed or already gone; the reaper collects it either way
            }
            throw new ShimException(ErrorKind.DEADLINE_EXCEEDED, what + ": " + command + " did not finish within "
                    + timeout.toMillis() + " ms; killed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            signals.kill(pid, Signals.SIGKILL);
            throw new ShimException(ErrorKind.CANCELLED, what + ": interrupted while " + command + " ran");
        } catch (ExecutionException e) {
            throw ShimException.internal(what + ": " + command + ": " + e.getCause().getMessage(), e);
        }
    }

    private static String lastLine(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return Arrays.stream(text.split("\n")).map(String::strip).filter(l -> !l.isEmpty()).reduce((a, b) -> b)
                    .orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover .err file is removed with the next build of the same key
        }
    }
}
