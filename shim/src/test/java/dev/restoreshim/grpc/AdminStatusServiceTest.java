package dev.restoreshim.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.restoreshim.proto.admin.RestoreEntry;
import dev.restoreshim.restore.RecentRestores;
import dev.restoreshim.restore.RestoreTimings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminStatusServiceTest {

    @Test
    void restoredEntry_carriesItsPhasesAndTotal() {
        RestoreTimings t = new RestoreTimings(3, 70, 4, 29, 1, -1, 107, false, 8_500_000).withRestore(321);
        RestoreEntry e = AdminStatusService.entry(new RecentRestores.Entry("k8s.io", "web", "/cp.tar", t, t.totalMs(),
                RecentRestores.Outcome.RESTORED, "", Instant.ofEpochSecond(1_800_000_000L)));
        assertEquals("restored", e.getOutcome());
        assertEquals(428, e.getTotalMs());
        assertEquals(Map.of("index", 3L, "delta", 70L, "mount", 4L, "stage", 29L, "create", 1L, "restore", 321L),
                e.getPhaseMsMap());
        assertEquals("/cp.tar", e.getSource());
        assertEquals(1_800_000_000L, e.getFinishedAt().getSeconds());
    }

    @Test
    void failedCreate_hasItsErrorAndNoPhases() {
        RestoreEntry e = AdminStatusService.entry(new RecentRestores.Entry("k8s.io", "web", "/bad.tar", null, 12,
                RecentRestores.Outcome.FAILED, "archive /bad.tar: truncated", Instant.EPOCH));
        assertEquals("failed", e.getOutcome());
        assertEquals("archive /bad.tar: truncated", e.getError());
        assertEquals(Map.of(), e.getPhaseMsMap());
    }

    @Test
    void upgradePending_whenTheJarIsNewerThanTheReadyFile_only(@TempDir Path tmp)
            throws Exception {
        var ready = Files.writeString(tmp.resolve("ready"), "");
        var jar = Files.writeString(tmp.resolve("restore-shim.jar"), "");
        var t = Files.getLastModifiedTime(ready).toInstant();
        Files.setLastModifiedTime(jar, FileTime.from(t.minusSeconds(60)));
        assertEquals(false, AdminStatusService.upgradePending(jar, ready), "installed before the daemon started");
        Files.setLastModifiedTime(jar, FileTime.from(t.plusMillis(5)));
        assertEquals(true, AdminStatusService.upgradePending(jar, ready), "installed after the daemon started");
        assertEquals(false, AdminStatusService.upgradePending(tmp.resolve("a.jar:b.jar"), ready), "a class path, not a file");
        assertEquals(false, AdminStatusService.upgradePending(jar, tmp.resolve("no-ready")), "no ready file");
    }
}
