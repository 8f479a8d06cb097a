package dev.restoreshim.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LazyPagesOrphanTest {
    @TempDir
    Path work;

    @Test
    void find_aLiveLazyPagesDaemonOnTheWorkDir_only() throws Exception {
        assertEquals(Optional.empty(), LazyPagesOrphan.find(work), "no pid file");
        // a stand-in whose command line looks like "criu lazy-pages ... --work-dir <work>"
        Process standIn = new ProcessBuilder("bash", "-c", "sleep 30; :", "lazy-pages", "--work-dir", work.toString())
                .start();
        Process other = new ProcessBuilder("bash", "-c", "sleep 30; :", "something-else", work.toString()).start();
        try {
            Files.writeString(work.resolve(LazyPagesOrphan.PID_FILE), standIn.pid() + "\n");
            assertEquals(Optional.of(standIn.pid()), LazyPagesOrphan.find(work).map(ProcessHandle::pid));
            Files.writeString(work.resolve(LazyPagesOrphan.PID_FILE), other.pid() + "\n");
            assertEquals(Optional.empty(), LazyPagesOrphan.find(work), "a pid naming some other process");
            standIn.destroyForcibly().waitFor();
            Files.writeString(work.resolve(LazyPagesOrphan.PID_FILE), standIn.pid() + "\n");
            assertTrue(LazyPagesOrphan.find(work).isEmpty(), "an exited daemon");
        } finally {
            standIn.destroyForcibly().waitFor();
            other.destroyForcibly().waitFor();
        }
    }

    @Test
    void find_garbagePidFile_isAnIoErrorNamingTheFile() throws Exception {
        Files.writeString(work.resolve(LazyPagesOrphan.PID_FILE), "not-a-pid\n");
        var e = assertThrows(IOException.class, () -> LazyPagesOrphan.find(work));
        assertTrue(e.getMessage().contains(LazyPagesOrphan.PID_FILE), e.getMessage());
    }
}
