package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuRestoreLogTest {
    @TempDir
    Path work;

    @Test
    void explain_addsFirstErrorLinesOfRestoreLog() throws IOException {
        Files.writeString(work.resolve("restore.log"), """
                (00.001000) Version: 4.1.1
                (00.001500) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted
                (00.002000)      1: Error (criu/files-reg.c:2185): Can't open file app.sh on restore: No such file or directory
                (00.003000)      1: Error (criu/files.c:1224): Unable to open fd=255 id=0x8
                (00.004000) Error (criu/cr-restore.c:2614): Restoring FAILED.
                (00.005000) Error (criu/cgroup.c:1998): cg: cgroupd: recv req error: No such file or directory
                """);
        var failure = ShimException.failedPrecondition("runc restore c1: criu failed: type RESTORE errno 0");
        RuntimeException e = CriuRestoreLog.explain(failure, work);
        assertEquals(ErrorKind.FAILED_PRECONDITION, ((ShimException) e).kind());
        assertEquals("runc restore c1: criu failed: type RESTORE errno 0; CRIU " + work.resolve("restore.log") + ": "
                + "(00.002000)      1: Error (criu/files-reg.c:2185): Can't open file app.sh on restore: No such file or directory"
                + " | (00.003000)      1: Error (criu/files.c:1224): Unable to open fd=255 id=0x8"
                + " | (00.004000) Error (criu/cr-restore.c:2614): Restoring FAILED.", e.getMessage());
    }

    @Test
    void explain_withoutLog_returnsFailureUnchanged() {
        var failure = ShimException.failedPrecondition("runc restore c1: exit 1");
        assertSame(failure, CriuRestoreLog.explain(failure, work));
    }
}
