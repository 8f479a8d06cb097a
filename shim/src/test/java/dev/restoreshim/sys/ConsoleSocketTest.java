package dev.restoreshim.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SCM_RIGHTS fd passing, with python3 playing runc's sender. */
class ConsoleSocketTest {
    private final Fds fds = new LinuxFds();

    @Test
    void receivesTheSentFd(@TempDir Path dir) {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Path sock = dir.resolve("c.sock");
            try (ConsoleSocket cs = ConsoleSocket.listen(sock, fds); PidfdReaper reaper = new PidfdReaper(fds)) {
                String py = "import socket,os,sys\n"
                        + "s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
                        + "r,w=os.pipe(); os.write(w,b'through the fd'); os.close(w)\n"
                        + "socket.send_fds(s,[b'/dev/pts/9'],[r])\n";
                int pid = new LinuxProcessLauncher(fds).spawn(LaunchSpec.of(List.of("python3", "-c", py, sock.toString()),
                        Map.of()));
                int received = cs.receiveMaster(Duration.ofSeconds(10));
                assertEquals(0, reaper.watch(pid).get(10, TimeUnit.SECONDS).exitCode());
                byte[] buf = new byte[64];
                int n = fds.read(received, buf, 0, buf.length);
                fds.close(received);
                assertEquals("through the fd", new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            assertFalse(Files.exists(sock), "socket file removed on close");
        });
    }

    @Test
    void nobodyConnects_timesOut(@TempDir Path dir) {
        try (ConsoleSocket cs = ConsoleSocket.listen(dir.resolve("c.sock"), fds)) {
            SysException e = assertThrows(SysException.class, () -> cs.receiveMaster(Duration.ofMillis(100)));
            assertEquals("ETIMEDOUT", e.errnoName());
        }
    }

    @Test
    void tooLongPath_isRejected(@TempDir Path dir) {
        Path longPath = dir.resolve("x".repeat(120));
        assertThrows(IllegalArgumentException.class, () -> ConsoleSocket.listen(longPath, fds));
    }
}
