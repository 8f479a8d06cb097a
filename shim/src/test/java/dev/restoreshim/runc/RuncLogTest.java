package dev.restoreshim.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuncLogTest {
    @Test
    void lastError_picksLastErrorLevelLine() {
        String log = """
                {"level":"warning","msg":"cgroup v1 is deprecated","time":"t"}
                {"level":"error","msg":"first","time":"t"}
                {"level":"error","msg":"container_linux.go:1: starting container process caused: exec: \\"nope\\": executable file not found in $PATH","time":"t"}
                {"level":"info","msg":"later info","time":"t"}
                """;
        assertEquals(Optional.of("container_linux.go:1: starting container process caused: exec: \"nope\": executable file not found in $PATH"),
                RuncLog.lastError(log));
    }

    @Test
    void lastError_withoutErrorLevel_fallsBackToLastMessage() {
        assertEquals(Optional.of("b"), RuncLog.lastError("{\"level\":\"warning\",\"msg\":\"a\"}\n{\"level\":\"info\",\"msg\":\"b\"}\n"));
    }

    @Test
    void lastError_ofEmptyLog_isEmpty() {
        assertEquals(Optional.empty(), RuncLog.lastError(""));
    }

    @Test
    void lastError_onlyReadsWhatWasAppendedAfterTheOffset(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log.json");
        Files.writeString(log, "{\"level\":\"error\",\"msg\":\"old failure\"}\n");
        long offset = RuncLog.size(log);
        assertEquals(Optional.empty(), RuncLog.lastError(log, offset));
        Files.writeString(log, "{\"level\":\"error\",\"msg\":\"new failure\"}\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(Optional.of("new failure"), RuncLog.lastError(log, offset));
    }

    @Test
    void lastError_ofMissingFile_isEmpty(@TempDir Path dir) {
        assertEquals(Optional.empty(), RuncLog.lastError(dir.resolve("none"), 0));
    }
}
