package dev.restoreshim.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LazyPagesTest {
    @TempDir
    Path work;

    @Test
    void orphanOf_findsALiveLazyPagesDaemonOnTheWorkDir_only() throws Exception {
        assertEquals(Optional.empty(), LazyPages.orphanOf(work), "no pid file");
        // a stand-in whose command line looks like "criu lazy-pages ... --work-dir <work>"
        Process standIn = new ProcessBuilder("bash", "-c", "sleep 30; :", "lazy-pages", "--work-dir", work.toString())
                .start();
        Process other = new ProcessBuilder("bash", "-c", "sleep 30; :", "something-else", work.toString()).start();
        try {
            Files.writeString(work.resolve(LazyPages.PID_FILE), standIn.pid() + "\n");
            assertEquals(Optional.of(standIn.pid()), LazyPages.orphanOf(work).map(ProcessHandle::pid));
            Files.writeString(work.resolve(LazyPages.PID_FILE), other.pid() + "\n");
            assertEquals(Optional.empty(), LazyPages.orphanOf(work), "a pid naming some other process");
            standIn.destroyForcibly().waitFor();
            Files.writeString(work.resolve(LazyPages.PID_FILE), standIn.pid() + "\n");
            assertTrue(LazyPages.orphanOf(work).isEmpty(), "an exited daemon");
        } finally {
            standIn.destroyForcibly().waitFor();
            other.destroyForcibly().waitFor();
        }
    }
}
