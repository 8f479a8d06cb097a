package dev.restoreshim.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.restoreshim.proto.admin.RestoreEntry;
import dev.restoreshim.restore.RecentRestores;
import dev.restoreshim.restore.RestoreTimings;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
