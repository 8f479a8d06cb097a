package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostToolTest {
    @TempDir
    Path tmp;
    private final FakeHost host = new FakeHost();

    @Test
    void run_success_removesStderrFile() {
        host.tool(Duration.ofSeconds(5)).run("index x", List.of("mkfs.erofs", "--tar=i", tmp.resolve("m").toString(),
                "/a.tar"), tmp.resolve("m.err"));
        assertEquals(1, host.spawned.size());
        assertFalse(Files.exists(tmp.resolve("m.err")));
    }

    @Test
    void run_nonZeroExit_quotesLastStderrLine() {
        host.exitCode = 1;
        host.stderr = "mkfs.erofs 1.8.6\n<E> erofs: invalid tar header @ 512\n";
        var e = assertThrows(ShimException.class, () -> host.tool(Duration.ofSeconds(5)).run("index /a.tar",
                List.of("mkfs.erofs", "--tar=i", tmp.resolve("m").toString(), "/a.tar"), tmp.resolve("m.err")));
        assertEquals(ErrorKind.INTERNAL, e.kind());
        assertEquals("index /a.tar: mkfs.erofs failed (exit 1): <E> erofs: invalid tar header @ 512", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("m.err")));
    }

    @Test
    void run_timeout_killsAndReportsDeadline() {
        host.hang = true;
        var e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(ShimException.class,
                () -> host.tool(Duration.ofMillis(50)).run("index /a.tar",
                        List.of("mkfs.erofs", "--tar=i", tmp.resolve("m").toString(), "/a.tar"), tmp.resolve("m.err"))));
        assertEquals(ErrorKind.DEADLINE_EXCEEDED, e.kind());
        assertTrue(e.getMessage().contains("mkfs.erofs did not finish within 50 ms; killed"), e.getMessage());
        assertEquals(List.of("1001:9"), host.killed);
    }
}
