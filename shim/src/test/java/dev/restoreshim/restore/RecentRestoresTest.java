package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecentRestoresTest {

    private static RecentRestores.Entry entry(String id) {
        return new RecentRestores.Entry("ns", id, "/cp.tar", null, 1, RecentRestores.Outcome.RESTORED, "", Instant.EPOCH);
    }

    @Test
    void keepsTheNewestFirstAndDropsTheOldestBeyondCapacity() {
        RecentRestores recent = new RecentRestores(2);
        recent.add(entry("a"));
        recent.add(entry("b"));
        recent.add(entry("c"));
        assertEquals(List.of("c", "b"), recent.newestFirst().stream().map(RecentRestores.Entry::id).toList());
    }

    @Test
    void refusesAZeroCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new RecentRestores(0));
    }

    @Test
    void phases_leaveOutWhatDidNotRun() {
        RestoreTimings archive = new RestoreTimings(1, 2, 3, 4, 5, -1, 15, false, 0).withRestore(6);
        assertEquals(Map.of("index", 1L, "delta", 2L, "mount", 3L, "stage", 4L, "create", 5L, "restore", 6L),
                archive.phases());
        assertEquals(List.of("index", "delta", "mount", "stage", "create", "restore"), List.copyOf(archive.phases().keySet()));
        assertEquals(21, archive.totalMs());
        assertEquals(Map.of("create", 7L), RestoreTimings.forDirectory(7).phases());
    }
}
