package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks' "dirtied" count ({@link DirtyPages}) sees what it must: pages a process and
 * its children dirty on the disk, as file data, and nothing of a process outside that tree. The
 * benchmarks judge "0 bytes written" on it, so a count that stayed at 0 because it saw nothing
 * would pass them falsely.
 */
class DirtyPagesIT {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        // on the disk (not a tmpfs): the module's build directory
        dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "dirty-pages-");
    }

    @AfterEach
    void tearDown() throws IOException {
        LocalRegistry.deleteTree(dir);
    }

    @Test
    void countsThePagesOfAProcessAndItsChildren_notOthers() throws Exception {
        Process other = new ProcessBuilder("sleep", "30").start();
        try {
            DirtyPages ours = DirtyPages.start(ProcessHandle.current().pid());
            assertNotNull(ours, "tracefs is needed (root, /sys/kernel/tracing)");
            Files.write(dir.resolve("a"), new byte[3 * 4096]);
            Process child = new ProcessBuilder("sh", "-c", "head -c 8192 /dev/zero > b").directory(dir.toFile()).start();
            assertEquals(0, child.waitFor());
            DirtyPages.Folios folios = ours.stop();

            assertFalse(folios.lost(), folios.describe());
            assertTrue(folios.data() >= 2, "this JVM's file and its child's: " + folios.describe());

            DirtyPages theirs = DirtyPages.start(other.pid());
            Files.write(dir.resolve("c"), new byte[2 * 4096]);
            DirtyPages.Folios none = theirs.stop();
            assertEquals(0, none.data() + none.metadata(), "another process's tree: " + none.describeWithPages());
        } finally {
            other.destroy();
        }
    }
}
