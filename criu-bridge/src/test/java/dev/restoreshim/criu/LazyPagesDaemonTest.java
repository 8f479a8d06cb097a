package dev.restoreshim.criu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With stand-in scripts for {@code criu lazy-pages} (argument 5 is the work dir). */
class LazyPagesDaemonTest {
    @TempDir
    Path dir;

    /** {@link LazyPagesDaemon#launch}, then {@link LazyPagesDaemon#awaitReady}, as Create and Start do. */
    private static LazyPagesDaemon start(String criu, Path images, Path work, Duration readyTimeout) {
        LazyPagesDaemon d = LazyPagesDaemon.launch(criu, images, work);
        d.awaitReady(readyTimeout);
        return d;
    }

    private String script(String body) throws Exception {
        Path s = dir.resolve("criu-" + body.hashCode());
        Files.writeString(s, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s.toString();
    }

    @Test
    void start_readyThenServesAndExits0() throws Exception {
        String criu = script("printf '\\000'; sleep 0.6; exit 0");
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (LazyPagesDaemon d = start(criu, dir.resolve("images"), dir.resolve("work"),
                    Duration.ofSeconds(5))) {
                LazyPagesDaemon.Outcome o = d.exit().get();
                assertTrue(o.ok());
                assertTrue(o.servingMs() >= 100, "served until exit: " + o.servingMs());
            }
        });
    }

    @Test
    void exit_failure_carriesFirstErrorOfItsLog() throws Exception {
        String criu = script("printf '\\000'; echo '(00.627859) Error (criu/uffd.c:750): uffd: PID recv: short read'"
                + " > \"$5/lazy-pages.log\"; exit 1");
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (LazyPagesDaemon d = start(criu, dir.resolve("images"), dir.resolve("work"),
                    Duration.ofSeconds(5))) {
                LazyPagesDaemon.Outcome o = d.exit().get();
                assertFalse(o.ok());
                assertTrue(o.error().orElseThrow().contains("PID recv: short read"), o.error().orElseThrow());
            }
        });
    }

    @Test
    void start_exitsBeforeReady_lazyPagesFailedWithLogError() throws Exception {
        String criu = script("mkdir -p \"$5\"; echo '(00.1) Error (criu/image.c:721): Can'\"'\"'t open dir img: No such file"
                + " or directory' > \"$5/lazy-pages.log\"; exit 1");
        var e = assertThrows(CriuException.class, () -> start(criu, dir.resolve("images"),
                dir.resolve("work"), Duration.ofSeconds(5)));
        assertEquals(CriuException.Reason.LAZY_PAGES_FAILED, e.reason());
        assertTrue(e.getMessage().contains("exited before it was ready (exit 1)"), e.getMessage());
        assertTrue(e.getMessage().contains("Can't open dir img"), e.getMessage());
    }

    @Test
    void start_notReadyInTime_killedAndRefused() throws Exception {
        String criu = script("exec sleep 30");
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            var e = assertThrows(CriuException.class, () -> start(criu, dir.resolve("images"),
                    dir.resolve("work"), Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("not ready within 300 ms"), e.getMessage());
        });
    }

    @Test
    void launch_readyBeforeItIsAwaited_awaitReadyReturnsAndItServes() throws Exception {
        String criu = script("printf '\\000'; touch \"$5/ready-sent\"; sleep 0.3; exit 0");
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (LazyPagesDaemon d = LazyPagesDaemon.launch(criu, dir.resolve("images"), dir.resolve("work"))) {
                while (!Files.exists(dir.resolve("work").resolve("ready-sent"))) {
                    Thread.sleep(10);
                }
                d.awaitReady(Duration.ofSeconds(5));
                assertTrue(d.exit().get().ok());
            }
        });
    }

    @Test
    void launch_binaryMissing_lazyPagesFailedNamingIt() {
        String criu = dir.resolve("no-such-criu").toString();
        var e = assertThrows(CriuException.class, () -> LazyPagesDaemon.launch(criu, dir.resolve("images"),
                dir.resolve("work")));
        assertEquals(CriuException.Reason.LAZY_PAGES_FAILED, e.reason());
        assertTrue(e.getMessage().contains("cannot start " + criu), e.getMessage());
    }
}
