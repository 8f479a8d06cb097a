package dev.restoreshim.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real posix_spawn + pidfd reaping against /bin/sh. */
class LinuxProcessLauncherTest {
    private final Fds fds = new LinuxFds();
    private final ProcessLauncher launcher = new LinuxProcessLauncher(fds);
    private PidfdReaper reaper;

    @BeforeEach
    void start() {
        reaper = new PidfdReaper(fds);
    }

    @AfterEach
    void stop() {
        reaper.close();
    }

    private ExitStatus run(String script, Map<Integer, Integer> fdMap) throws Exception {
        int pid = launcher.spawn(LaunchSpec.of(List.of("/bin/sh", "-c", script), fdMap));
        return reaper.watch(pid).get(10, TimeUnit.SECONDS);
    }

    @Test
    void exitCode_isReported() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertEquals(0, run("exit 0", Map.of()).exitCode());
            assertEquals(7, run("exit 7", Map.of()).exitCode());
        });
    }

    @Test
    void signal_isReportedAs128PlusSignal() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            ExitStatus s = run("kill -TERM $$", Map.of());
            assertEquals(15, s.signal());
            assertEquals(143, s.exitCode());
        });
    }

    @Test
    void killFromParent_isReported() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int pid = launcher.spawn(LaunchSpec.of(List.of("sleep", "30"), Map.of()));
            var exit = reaper.watch(pid);
            new LinuxSignals().kill(pid, Signals.SIGKILL);
            assertEquals(137, exit.get(10, TimeUnit.SECONDS).exitCode());
            assertThrows(NoSuchProcessException.class, () -> new LinuxSignals().kill(pid, 0));
        });
    }

    @Test
    void pidfdSignal_killsExactlyThatProcess() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int pid = launcher.spawn(LaunchSpec.of(List.of("sleep", "30"), Map.of()));
            var exit = reaper.watch(pid);
            Signals signals = new LinuxSignals();
            int pidfd = signals.openPidfd(pid);
            try {
                signals.pidfdSendSignal(pidfd, Signals.SIGTERM);
                assertEquals(15, exit.get(10, TimeUnit.SECONDS).signal());
                assertThrows(NoSuchProcessException.class, () -> signals.pidfdSendSignal(pidfd, 0));
            } finally {
                fds.close(pidfd);
            }
        });
    }

    @Test
    void close_failsPendingWatches() throws Exception {
        int pid = launcher.spawn(LaunchSpec.of(List.of("sleep", "30"), Map.of()));
        var exit = reaper.watch(pid);
        reaper.close();
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> exit.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalStateException);
        new LinuxSignals().kill(pid, Signals.SIGKILL);
        reaper = new PidfdReaper(fds);
        assertEquals(137, reaper.watch(pid).get(10, TimeUnit.SECONDS).exitCode());
    }

    @Test
    void fdMap_givesChildOurPipeAsStdoutAndFd5() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int[] out = fds.pipe();
            int[] extra = fds.pipe();
            int pid;
            try {
                pid = launcher.spawn(LaunchSpec.of(List.of("/bin/sh", "-c", "echo hello; echo five >&5; exec 5>&-; exec ls /proc/self/fd"),
                        Map.of(1, out[1], 5, extra[1])));
            } finally {
                fds.close(out[1]);
                fds.close(extra[1]);
            }
            assertEquals(0, reaper.watch(pid).get(10, TimeUnit.SECONDS).exitCode());
            // ls sees 0-2 and the directory fd it opened itself: nothing else leaked into the child
            assertEquals("hello\n0\n1\n2\n3\n", drain(out[0]));
            assertEquals("five\n", drain(extra[0]));
        });
    }

    @Test
    void workDir_isApplied(@TempDir Path dir) throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int[] out = fds.pipe();
            int pid;
            try {
                pid = launcher.spawn(new LaunchSpec(List.of("/bin/sh", "-c", "pwd; echo $X"), Map.of("X", "y"), dir, Map.of(1, out[1])));
            } finally {
                fds.close(out[1]);
            }
            reaper.watch(pid).get(10, TimeUnit.SECONDS);
            assertEquals(dir.toRealPath() + "\ny\n", drain(out[0]));
        });
    }

    @Test
    void missingBinary_failsWithSysException() {
        SysException e = assertThrows(SysException.class,
                () -> launcher.spawn(LaunchSpec.of(List.of("/nonexistent/bin"), Map.of())));
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.getMessage().contains("/nonexistent/bin"), e.getMessage());
    }

    @Test
    void watch_ofNonexistentPid_completesUnknown() throws Exception {
        ExitStatus s = reaper.watch(Integer.MAX_VALUE - 7).get(1, TimeUnit.SECONDS);
        assertEquals(ExitStatus.UNKNOWN_CODE, s.exitCode());
    }

    @Test
    void watch_ofNonChild_completesUnknownWhenItExits() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            // a grandchild whose parent shell stays alive to reap it: not our child even when
            // this JVM is a subreaper (another test may have made it one)
            int[] out = fds.pipe();
            int pid;
            try {
                pid = launcher.spawn(LaunchSpec.of(List.of("/bin/sh", "-c", "sleep 0.5 >/dev/null & echo $!; wait"),
                        Map.of(1, out[1])));
            } finally {
                fds.close(out[1]);
            }
            assertTrue(fds.awaitReadable(out[0], 10_000));
            byte[] buf = new byte[32];
            int n = fds.read(out[0], buf, 0, buf.length);
            int grandchild = Integer.parseInt(new String(buf, 0, n, StandardCharsets.UTF_8).trim());
            ExitStatus s = reaper.watch(grandchild).get(10, TimeUnit.SECONDS);
            assertEquals(ExitStatus.UNKNOWN_CODE, s.exitCode());
            assertEquals(0, reaper.watch(pid).get(10, TimeUnit.SECONDS).exitCode());
            drain(out[0]);
        });
    }

    @Test
    void reapOrphans_collectsUnwatchedZombieChildrenOnly() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int orphan = orphanedZombie();
            Path proc = Path.of("/proc", Integer.toString(orphan));
            assertEquals(0, reaper.reapOrphans(p -> p != orphan), "the predicate is respected");
            assertTrue(java.nio.file.Files.exists(proc));
            assertEquals(1, reaper.reapOrphans(p -> p == orphan));
            assertFalse(java.nio.file.Files.exists(proc), "zombie collected");
        });
    }

    @Test
    void orphanSweep_reapsAZombieOnlyOnTheSecondSweepThatFindsIt() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int orphan = orphanedZombie();
            Path proc = Path.of("/proc", Integer.toString(orphan));
            var sweep = new OrphanSweep(reaper);
            sweep.sweep();
            assertTrue(java.nio.file.Files.exists(proc), "a zombie seen once may still be about to be watched");
            assertTrue(sweep.sweep() >= 1);
            assertFalse(java.nio.file.Files.exists(proc), "seen unwatched twice: collected");
        });
    }

    /**
     * A zombie child of this JVM that nobody watches: as child subreaper we inherit the background
     * child of a shell that exits at once; it dies 0.3 s later. Returns its pid once it is a zombie.
     */
    private int orphanedZombie() throws Exception {
        new LinuxProcessControl().setChildSubreaper(true);
        int[] out = fds.pipe();
        int pid;
        try {
            pid = launcher.spawn(LaunchSpec.of(List.of("/bin/sh", "-c", "/bin/sh -c 'sleep 0.3; exit 4' >/dev/null & echo $!"),
                    Map.of(1, out[1])));
        } finally {
            fds.close(out[1]);
        }
        int orphan = Integer.parseInt(drain(out[0]).trim());
        assertEquals(0, reaper.watch(pid).get(10, TimeUnit.SECONDS).exitCode());
        Path stat = Path.of("/proc", Integer.toString(orphan), "stat");
        while (!java.nio.file.Files.readString(stat).contains(") Z ")) {
            Thread.sleep(10);
        }
        return orphan;
    }

    private String drain(int fd) {
        var bytes = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = fds.read(fd, buf, 0, buf.length)) > 0) {
                bytes.write(buf, 0, n);
            }
        } finally {
            fds.close(fd);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

}
