package dev.restoreshim.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.LaunchSpec;
import dev.restoreshim.sys.LinuxFds;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runc against a fake launcher that plays runc: writes the log and pid file, exits with a code. */
class RuncCommandTest {
    @TempDir
    Path dir;

    private final List<List<String>> spawned = new ArrayList<>();
    private int nextExit;
    private String nextLogLine;

    private final ProcessLauncher launcher = (LaunchSpec spec) -> {
        spawned.add(spec.argv());
        try {
            if (nextLogLine != null) {
                Files.writeString(dir.resolve("log.json"), nextLogLine + "\n", java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
            }
            int i = spec.argv().indexOf("--pid-file");
            if (i >= 0) {
                Files.writeString(Path.of(spec.argv().get(i + 1)), "4242\n");
            }
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
        return 100 + spawned.size();
    };

    private final Reaper reaper = new Reaper() {
        @Override
        public CompletableFuture<ExitStatus> watch(int pid) {
            return CompletableFuture.completedFuture(ExitStatus.exited(nextExit, Instant.EPOCH));
        }

        @Override
        public void close() {
        }
    };

    private Runc runc() {
        return new Runc(new RuncSettings(Path.of("/usr/sbin/runc"), Path.of("/run/r"), false), launcher, reaper,
                new LinuxFds(), dir.resolve("log.json"));
    }

    @Test
    void create_returnsPidFromPidFile() {
        int pid = runc().create("c1", new CreateOptions(dir, dir.resolve("init.pid"), null, false, false), RuncStdio.none());
        assertEquals(4242, pid);
        assertEquals(List.of("/usr/sbin/runc", "--root", "/run/r", "--log", dir.resolve("log.json").toString(),
                "--log-format", "json", "create", "--bundle", dir.toString(), "--pid-file",
                dir.resolve("init.pid").toString(), "c1"), spawned.getFirst());
    }

    @Test
    void deadline_killsAHangingRuncAndFailsWithDeadlineExceeded() {
        var killed = new java.util.ArrayList<String>();
        var hanging = new CompletableFuture<ExitStatus>();
        Reaper never = new Reaper() {
            @Override
            public CompletableFuture<ExitStatus> watch(int pid) {
                return hanging;
            }

            @Override
            public void close() {
            }
        };
        dev.restoreshim.sys.Signals signals = new dev.restoreshim.sys.Signals() {
            @Override
            public void kill(int pid, int signal) {
                killed.add(pid + ":" + signal);
                hanging.complete(ExitStatus.exited(137, Instant.EPOCH));
            }

            @Override
            public int openPidfd(int pid) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void pidfdSendSignal(int pidfd, int signal) {
                throw new UnsupportedOperationException();
            }
        };
        var deadlines = new RuncDeadlines(java.time.Duration.ofMillis(50), null, null);
        Runc runc = new Runc(new RuncSettings(Path.of("/usr/sbin/runc"), Path.of("/run/r"), false), launcher, never,
                new LinuxFds(), dir.resolve("log.json")).withDeadlines(deadlines, signals);
        var e = assertThrows(dev.restoreshim.errors.ShimException.class, () -> runc.state("c1"));
        assertEquals(ErrorKind.DEADLINE_EXCEEDED, e.kind());
        assertEquals("runc state \"c1\": no answer within 50 ms; runc (pid 101) was killed", e.getMessage());
        assertEquals(List.of("101:9"), killed);
    }

    @Test
    void failure_quotesLastLogErrorNotExitStatus() {
        nextExit = 1;
        nextLogLine = "{\"level\":\"error\",\"msg\":\"container not running\",\"time\":\"t\"}";
        RuncException e = assertThrows(RuncException.class, () -> runc().kill("c1", 15, true));
        assertEquals("runc kill \"c1\": container not running", e.getMessage());
        assertEquals(ErrorKind.UNKNOWN, e.kind());
        assertEquals(List.of("kill", "--all", "c1", "15"), spawned.getFirst().subList(7, 11));
    }

    @Test
    void failure_doesNotExist_isNotFound() {
        nextExit = 1;
        nextLogLine = "{\"level\":\"error\",\"msg\":\"container does not exist\"}";
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(RuncException.class, () -> runc().delete("c1", true)).kind());
        assertEquals(List.of("delete", "--force", "c1"), spawned.getFirst().subList(7, 10));
    }

    @Test
    void failure_withoutLog_reportsExitStatus() {
        nextExit = 2;
        assertEquals("runc start \"c1\": exit status 2",
                assertThrows(RuncException.class, () -> runc().start("c1")).getMessage());
    }
}
