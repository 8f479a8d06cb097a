package dev.restoreshim.criu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The logs under {@code criu-logs/} are excerpts of real CRIU 4.1.1 restore logs, made to fail on purpose. */
class CriuLogTest {
    private static Path sample(String name) throws Exception {
        return Path.of(CriuLogTest.class.getResource("/criu-logs/" + name).toURI());
    }

    @Test
    void missingFile_namesThePathFromTheRoot_skippingTheRlimitError() throws Exception {
        CriuLogError e = CriuLog.firstError(sample("missing-file.log")).orElseThrow();
        assertEquals(CriuLogError.Category.MISSING_FILE, e.category());
        assertEquals("/tmp/criutest/app.sh", e.subject());
        assertEquals("Can't open file tmp/criutest/app.sh on restore: No such file or directory", e.message());
        assertTrue(e.describe().contains("missing: /tmp/criutest/app.sh"), e.describe());
    }

    @Test
    void mountMapping_isAMountMismatch() throws Exception {
        CriuLogError e = CriuLog.firstError(sample("mount-mapping.log")).orElseThrow();
        assertEquals(CriuLogError.Category.MOUNT_MISMATCH, e.category());
        assertEquals("mount 90:(null)", e.subject());
    }

    @Test
    void pidInUse_namesThePid() throws Exception {
        CriuLogError e = CriuLog.firstError(sample("pid-in-use.log")).orElseThrow();
        assertEquals(CriuLogError.Category.PID_IN_USE, e.category());
        assertEquals("pid 10387", e.subject());
    }

    @Test
    void lazyPagesWithoutDaemon_isLazyPages() throws Exception {
        CriuLogError e = CriuLog.firstError(sample("lazy-pages-socket.log")).orElseThrow();
        assertEquals(CriuLogError.Category.LAZY_PAGES, e.category());
        assertTrue(e.message().contains("lazy-pages.socket"), e.message());
    }

    @Test
    void emptyImageDir_isNoImages() throws Exception {
        assertEquals(CriuLogError.Category.NO_IMAGES, CriuLog.firstError(sample("no-inventory.log")).orElseThrow().category());
    }

    @Test
    void unsupportedFeature_classified(@TempDir Path dir) throws Exception {
        Path log = Files.writeString(dir.resolve("restore.log"), """
                (00.000117) Version: 4.1.1 (gitid 0)
                (00.042569) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted
                (00.050001) Error (criu/timens.c:71): Time namespaces are not supported
                (00.050100) Error (criu/cr-restore.c:2320): Restoring FAILED.
                """);
        assertEquals(CriuLogError.Category.UNSUPPORTED, CriuLog.firstError(log).orElseThrow().category());
    }

    @Test
    void noErrorOrNoLog_isEmpty(@TempDir Path dir) throws Exception {
        assertTrue(CriuLog.firstError(dir.resolve("restore.log")).isEmpty());
        Path log = Files.writeString(dir.resolve("restore.log"),
                "(00.042569) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted\n"
                        + "(00.1) Restore finished successfully. Tasks resumed.\n");
        assertTrue(CriuLog.firstError(log).isEmpty());
        assertTrue(CriuLog.explain("x", dir).isEmpty());
    }

    @Test
    void explain_addsLogPathAndCause() throws Exception {
        Path dir = sample("missing-file.log").getParent();
        Path work = Files.createTempDirectory("criu-work");
        try {
            Files.copy(dir.resolve("missing-file.log"), work.resolve("restore.log"));
            String s = CriuLog.explain("runc restore \"c1\": criu failed", work).orElseThrow();
            assertTrue(s.startsWith("runc restore \"c1\": criu failed; CRIU " + work.resolve("restore.log") + ": "), s);
            assertTrue(s.contains("/tmp/criutest/app.sh"), s);
        } finally {
            Files.delete(work.resolve("restore.log"));
            Files.delete(work);
        }
    }
}
