package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessCommandRunnerTest {
    @Test
    void run_capturesStdoutAndStderrAndExitCode() throws IOException {
        CommandResult r = new ProcessCommandRunner(Duration.ofSeconds(10))
                .run(List.of("/bin/sh", "-c", "echo out; echo 'level=error msg=boom' >&2; exit 3"));
        assertEquals(3, r.exitCode());
        assertEquals("level=error msg=boom", r.lastLine());
        assertTrue(r.output().contains("out\n"), r.output());
    }

    @Test
    void run_hangingChild_isKilledAfterTimeout() {
        IOException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IOException.class,
                () -> new ProcessCommandRunner(Duration.ofMillis(300)).run(List.of("/bin/sh", "-c", "exec sleep 30"))));
        assertTrue(e.getMessage().contains("no exit after"), e.getMessage());
    }

    @Test
    void lastLine_emptyOutput_namesExitStatus() {
        assertEquals("exit status 2", new CommandResult(2, "\n").lastLine());
    }
}
