package dev.restoreshim.restore;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.Errno;
import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.LaunchSpec;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import dev.restoreshim.sys.SysException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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
        run(what, argv, errFile, null);
    }

    /** Writes a command's standard input; the stream is closed afterwards by {@link HostTool}. */
    @FunctionalInterface
    interface Input {
        void writeTo(OutputStream stdin) throws IOException;
    }

    /**
     * As {@link #run(String, List, Path)}, with {@code input} (when not null) writing the command's
     * stdin through a pipe; the timeout starts when the input is complete. When {@code input}
     * fails, the command is killed and the input's exception is thrown, unless the command had
     * already failed (a closed pipe): then its error is.
     */
    void run(String what, List<String> argv, Path errFile, Input input) {
        String command = argv.getFirst();
        int pid;
        int[] pipe = input == null ? null : fds.pipe();
        int err = fds.open(errFile.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_TRUNC, 0600);
        try {
            pid = launcher.spawn(new LaunchSpec(argv, System.getenv(), null,
                    pipe == null ? Map.of(2, err) : Map.of(0, pipe[0], 2, err)));
        } catch (SysException e) {
            deleteQuietly(errFile);
            if (pipe != null) {
                fds.close(pipe[1]);
            }
            throw new ShimException(ErrorKind.FAILED_PRECONDITION, what + ": cannot execute " + command + " ("
                    + e.errnoName() + "); is it installed?", e);
        } finally {
            fds.close(err);
            if (pipe != null) {
                fds.close(pipe[0]);
            }
        }
        try {
            if (pipe != null) {
                feed(what, command, pid, pipe[1], input, errFile);
            }
            ExitStatus exit = await(what, command, pid);
            if (exit.exitCode() != 0) {
                throw failed(what, command, exit, errFile);
            }
        } finally {
            deleteQuietly(errFile);
        }
    }

    private void feed(String what, String command, int pid, int fd, Input input, Path errFile) {
        FdOutput pipe = new FdOutput(fds, fd);
        try {
            OutputStream out = new BufferedOutputStream(pipe, 1 << 20);
            input.writeTo(out);
            out.close(); // the rest of the input, then end of file
        } catch (IOException | RuntimeException e) {
            if (brokenPipe(e)) {
                // the command exited early and closed the pipe: its own error says why
                pipe.close();
                throw failed(what, command, await(what, command, pid), errFile);
            }
            kill(pid); // before the pipe closes: a command seeing end of file might take a half input for all
            pipe.close();
            if (e instanceof ShimException s) {
                throw s;
            }
            throw ShimException.internal(what + ": writing the input of " + command + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code e} comes from writing to a pipe nobody reads (however deep it was wrapped). */
    private static boolean brokenPipe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SysException s && s.errno() == Errno.EPIPE) {
                return true;
            }
        }
        return false;
    }

    private void kill(int pid) {
        var exit = reaper.watch(pid);
        try {
            signals.kill(pid, Signals.SIGKILL);
            exit.get(2, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // already gone, or killed; the reaper collects it either way
        }
    }

    private static ShimException failed(String what, String command, ExitStatus exit, Path errFile) {
        String reason = lastLine(errFile);
        return ShimException.internal(what + ": " + command + " failed (exit " + exit.exitCode()
                + (exit.signal() != 0 ? ", signal " + exit.signal() : "") + ")"
                + (reason.isEmpty() ? "" : ": " + reason), null);
    }

    /** An OutputStream over a pipe's write end, closing it on close. */
    private static final class FdOutput extends OutputStream {
        private final Fds fds;
        private final int fd;
        private boolean closed;

        FdOutput(Fds fds, int fd) {
            this.fds = fds;
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                fds.write(fd, b, off, len);
            } catch (SysException e) {
                throw new IOException("pipe to the command: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                fds.close(fd);
            }
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
