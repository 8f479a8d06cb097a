package dev.restoreshim.restore;

import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.LaunchSpec;
import dev.restoreshim.sys.PageCache;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Recording fakes of the launcher, reaper, fds, signals and page cache behind {@link HostTool}:
 * a spawned {@code mkfs.erofs} writes {@code output} to its output argument and {@code stderr}
 * to the file opened as its fd 2, then "exits" with {@code exitCode}, or never exits when
 * {@code hang} is set.
 */
final class FakeHost implements ProcessLauncher, Reaper, Signals, PageCache {
    final List<List<String>> spawned = new ArrayList<>();
    final List<String> killed = new ArrayList<>();
    final List<String> advised = new ArrayList<>();
    byte[] output = "erofs-meta".getBytes();
    String stderr = "";
    int exitCode;
    boolean hang;
    private final Map<Integer, String> opened = new HashMap<>();
    private int nextFd = 40;

    /** What was written to a spawned command's stdin pipe. */
    final java.io.ByteArrayOutputStream stdin = new java.io.ByteArrayOutputStream();

    /** The fds: open, close, and a pipe whose writes land in {@link #stdin}. */
    final Fds fds = new Fds() {
        @Override
        public int open(String path, int flags, int mode) {
            try {
                Files.writeString(Path.of(path), "");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            opened.put(nextFd, path);
            return nextFd++;
        }

        @Override
        public void close(int fd) {
        }

        @Override
        public int[] pipe() {
            return new int[] {nextFd++, nextFd++};
        }

        @Override
        public int read(int fd, byte[] buf, int off, int len) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void write(int fd, byte[] buf, int off, int len) {
            synchronized (stdin) {
                stdin.write(buf, off, len);
            }
        }

        @Override
        public void setNonBlocking(int fd, boolean on) {
        }

        @Override
        public boolean awaitReadable(int fd, int timeoutMillis) {
            return true;
        }

        @Override
        public void setWindowSize(int fd, int width, int height) {
        }
    };

    HostTool tool(Duration timeout) {
        return new HostTool(this, this, fds, this, timeout);
    }

    @Override
    public synchronized int spawn(LaunchSpec spec) {
        spawned.add(spec.argv());
        try {
            Files.writeString(Path.of(opened.get(spec.fds().get(2))), stderr);
            if (exitCode == 0 && !hang) {
                // mkfs.erofs --tar=i OUT ARCHIVE; with a stdin pipe (a delta image) OUT is last
                int out = spec.fds().containsKey(0) ? spec.argv().size() - 1 : spec.argv().size() - 2;
                Files.write(Path.of(spec.argv().get(out)), output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 1000 + spawned.size();
    }

    @Override
    public CompletableFuture<ExitStatus> watch(int pid) {
        return hang ? new CompletableFuture<>() : CompletableFuture.completedFuture(ExitStatus.exited(exitCode, Instant.EPOCH));
    }

    @Override
    public void close() {
    }

    @Override
    public synchronized void kill(int pid, int signal) {
        killed.add(pid + ":" + signal);
    }

    @Override
    public int openPidfd(int pid) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void pidfdSendSignal(int pidfd, int signal) {
        throw new UnsupportedOperationException();
    }

    @Override
    public synchronized void willNeed(Path file, long offset, long length) {
        advised.add(file.getFileName() + "@" + offset + "+" + length);
    }

    synchronized List<String> advised() {
        return List.copyOf(advised);
    }
}
