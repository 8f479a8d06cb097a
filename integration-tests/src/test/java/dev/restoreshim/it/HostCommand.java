package dev.restoreshim.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A host command run to completion with a deadline: argv, optional extra environment and stdin,
 * captured stdout and stderr. A command that outlives its deadline is killed (with its children)
 * and reported as a failure naming the command.
 */
public record HostCommand(List<String> argv, Map<String, String> env, Path workDir, String stdin, Duration timeout) {

    /** What a finished command produced. */
    public record Result(List<String> argv, int exitCode, String stdout, String stderr) {
        /** True when the command exited with status 0. */
        public boolean ok() {
            return exitCode == 0;
        }

        /** Returns this result, or throws naming the command, its status and its stderr. */
        public Result orThrow() {
            if (exitCode != 0) {
                throw new IllegalStateException("command failed: " + String.join(" ", argv) + " exit=" + exitCode
                        + " stderr=" + stderr.strip() + (stdout.isBlank() ? "" : " stdout=" + stdout.strip()));
            }
            return this;
        }
    }

    public HostCommand {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    /** A command with no extra environment, no stdin and a 60 s deadline. */
    public static HostCommand of(String... argv) {
        return new HostCommand(List.of(argv), Map.of(), null, null, Duration.ofSeconds(60));
    }

    /** A command with no extra environment, no stdin and a 60 s deadline. */
    public static HostCommand of(List<String> argv) {
        return new HostCommand(argv, Map.of(), null, null, Duration.ofSeconds(60));
    }

    public HostCommand withEnv(Map<String, String> extra) {
        return new HostCommand(argv, extra, workDir, stdin, timeout);
    }

    public HostCommand withStdin(String input) {
        return new HostCommand(argv, env, workDir, input, timeout);
    }

    public HostCommand withTimeout(Duration limit) {
        return new HostCommand(argv, env, workDir, stdin, limit);
    }

    public HostCommand in(Path dir) {
        return new HostCommand(argv, env, dir, stdin, timeout);
    }

    /** Runs the command; a missing executable or a missed deadline throws. */
    public Result run() {
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().putAll(env);
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try (var in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the command closed its stdin early; its exit status tells the rest
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException("command timed out after " + timeout + ": " + String.join(" ", argv));
            }
            return new Result(argv, process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", argv), e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot read output of " + String.join(" ", argv), e);
        }
    }

    /** Runs the command and throws unless it exits with 0. */
    public Result check() {
        return run().orThrow();
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, task -> Thread.ofVirtual().start(task));
    }
}
