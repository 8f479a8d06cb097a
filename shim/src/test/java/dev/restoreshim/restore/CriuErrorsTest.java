package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.criu.CriuException;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuErrorsTest {
    @TempDir
    Path work;

    @Test
    void explain_addsFirstRealErrorAndLogPath_keepsKind() throws IOException {
        Files.writeString(work.resolve("restore.log"), """
                (00.001000) Version: 4.1.1
                (00.001500) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted
                (00.002000)      1: Error (criu/files-reg.c:2185): Can't open file app.sh on restore: No such file or directory
                (00.003000)      1: Error (criu/files.c:1224): Unable to open fd=255 id=0x8
                (00.004000) Error (criu/cr-restore.c:2614): Restoring FAILED.
                """);
        var failure = ShimException.failedPrecondition("runc restore c1: criu failed: type RESTORE errno 0");
        RuntimeException e = CriuErrors.explain(failure, work);
        assertEquals(ErrorKind.FAILED_PRECONDITION, ((ShimException) e).kind());
        assertEquals("runc restore c1: criu failed: type RESTORE errno 0; CRIU " + work.resolve("restore.log") + ": "
                + "a file the checkpointed process had open is missing: /app.sh (CRIU: \"Can't open file app.sh on"
                + " restore: No such file or directory\")", e.getMessage());
    }

    @Test
    void explain_withoutLog_returnsFailureUnchanged() {
        var failure = ShimException.failedPrecondition("runc restore c1: exit 1");
        assertSame(failure, CriuErrors.explain(failure, work));
    }

    @Test
    void toShim_mapsReasons() {
        assertEquals(ErrorKind.INVALID_ARGUMENT,
                CriuErrors.toShim(new CriuException(CriuException.Reason.INVALID_OPTION, "x")).kind());
        assertEquals(ErrorKind.FAILED_PRECONDITION,
                CriuErrors.toShim(new CriuException(CriuException.Reason.UNSUPPORTED, "x")).kind());
        assertEquals(ErrorKind.FAILED_PRECONDITION,
                CriuErrors.toShim(new CriuException(CriuException.Reason.KEY_UNAVAILABLE, "x")).kind());
        assertTrue(CriuErrors.toShim(new CriuException(CriuException.Reason.CRIU_FAILED, "boom")).getMessage().equals("boom"));
    }
}
