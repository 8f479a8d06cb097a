package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.BackingDevices;
import dev.restoreshim.sys.LinuxFds;
import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.LinuxPageCache;
import dev.restoreshim.sys.LinuxProcessLauncher;
import dev.restoreshim.sys.LinuxSignals;
import dev.restoreshim.sys.PidfdReaper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing: {@code mkfs.erofs --tar=i} through the daemon's launcher and reaper, a
 * file-backed EROFS mount(2) of a small tar (with directio, its bdi readahead widened), a read of
 * an image through it, readahead, and nothing left in {@code /proc/self/mountinfo} afterwards
 * (needs root and erofs-utils, which this project's machines and CI have).
 */
class ErofsMountTest {
    @TempDir
    Path tmp;
    private final LinuxFds fds = new LinuxFds();
    private PidfdReaper reaper;
    private ErofsMetadata metadata;

    @BeforeEach
    void setUp() throws Exception {
        reaper = new PidfdReaper(fds);
        var tool = new HostTool(new LinuxProcessLauncher(fds), reaper, fds, new LinuxSignals(), Duration.ofSeconds(20));
        metadata = ErofsMetadata.open(tmp.resolve("meta"), Long.MAX_VALUE, tool, "mkfs.erofs");
    }

    @AfterEach
    void tearDown() {
        reaper.close();
    }

    @Test
    void smallTar_mountsInPlace_readsImage_leavesNothingMounted() throws Exception {
        byte[] pages = new byte[300_000];
        new Random(7).nextBytes(pages);
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("checkpoint/", new byte[0]);
        m.put("checkpoint/inventory.img", "inventory".getBytes());
        m.put("checkpoint/pages-1.img", pages);
        m.put("config.dump", "{}".getBytes());
        Path archive = Files.write(tmp.resolve("a.tar"), RestoreFixtures.tar(m));
        Path mountPoint = tmp.resolve("restore/ns/id");

        ErofsMetadata.Meta meta = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> metadata.forArchive(ArchiveKey.of(archive), archive));
        assertFalse(meta.cached());
        assertTrue(metadata.forArchive(ArchiveKey.of(archive), archive).cached());
        var bdis = BackingDevices.sysfs();
        java.util.Set<String> before = bdis.names("erofs-");
        ErofsImages images = ErofsImages.mount(new LinuxMounts(), bdis, meta.file(), archive, mountPoint);
        try {
            String line = mountinfo().lines().filter(l -> l.contains(" " + mountPoint + " ")).findFirst().orElse("");
            assertTrue(line.contains(",directio"), "mounted with direct I/O on the archive: " + line);
            var added = new java.util.HashSet<>(bdis.names("erofs-"));
            added.removeAll(before);
            assertEquals(1, added.size(), "one bdi entry for the new superblock: " + added);
            assertEquals(Integer.toString(ErofsImages.READ_AHEAD_KB), Files.readString(
                    Path.of("/sys/class/bdi", added.iterator().next(), "read_ahead_kb")).strip());
            assertArrayEquals(pages, Files.readAllBytes(images.dir().resolve("pages-1.img")));
            assertEquals("inventory", Files.readString(images.dir().resolve("inventory.img")));
            assertThrows(java.io.IOException.class, () -> Files.writeString(images.dir().resolve("x"), "y"), "read-only");

            var ra = PageReadahead.start(new LinuxPageCache(),
                    List.of(new PageReadahead.Range(images.dir().resolve("pages-1.img"), 0, pages.length)), 1L << 30, "t");
            assertTrue(ra.await(10_000));
            assertEquals(pages.length, ra.advisedBytes());
            images.readahead(ra);
        } finally {
            images.close();
        }
        assertFalse(mountinfo().contains(" " + mountPoint + " "), "unmounted");
        assertFalse(Files.exists(mountPoint), "mount point removed");
        images.close(); // idempotent
    }

    @Test
    void badMetadata_mountFails_leavesNothing() throws Exception {
        Path archive = Files.write(tmp.resolve("a.tar"), RestoreFixtures.tar(Map.of("checkpoint/inventory.img", new byte[10])));
        Path bogus = Files.write(tmp.resolve("bogus.erofs"), new byte[4096]);
        Path mountPoint = tmp.resolve("restore/ns/bad");
        var e = assertThrows(ShimException.class, () -> ErofsImages.mount(new LinuxMounts(), BackingDevices.sysfs(), bogus, archive, mountPoint));
        assertTrue(e.getMessage().contains("mount archive " + archive + " as erofs"), e.getMessage());
        assertFalse(mountinfo().contains(" " + mountPoint + " "));
        assertFalse(Files.exists(mountPoint));
    }

    @Test
    void notATar_mkfsFails_withClearError() throws Exception {
        Path junk = Files.write(tmp.resolve("junk.tar"), "this is not a tar archive at all".repeat(40).getBytes());
        var e = assertThrows(ShimException.class, () -> metadata.forArchive(ArchiveKey.of(junk), junk));
        assertTrue(e.getMessage().startsWith("restore: index archive " + junk + " for EROFS: mkfs.erofs failed (exit "),
                e.getMessage());
        try (var left = Files.list(metadata.dir())) {
            assertEquals(List.of(), left.toList());
        }
    }

    private static String mountinfo() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo"));
    }
}
