package dev.restoreshim.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real fsopen/fsconfig/fsmount/move_mount (root). */
class LinuxFsMountsTest {
    private final FsMounts fs = new LinuxFsMounts();
    private final Mounts mounts = new LinuxMounts();

    @Test
    void tmpfs_mountsWithParams_andUnmounts(@TempDir Path dir) throws Exception {
        fs.mount("tmpfs", List.of(new FsMounts.Value("size", "1m"), new FsMounts.Value("mode", "0700")),
                FsMounts.MOUNT_ATTR_NOSUID | FsMounts.MOUNT_ATTR_NODEV, dir.toString());
        try {
            String line = mountLine(dir);
            assertTrue(line.contains(" tmpfs "), line);
            assertTrue(line.contains("nosuid") && line.contains("nodev"), line);
            Files.writeString(dir.resolve("x"), "y");
        } finally {
            mounts.unmount(dir.toString(), Mounts.MNT_DETACH);
        }
        assertEquals("", mountLine(dir));
    }

    @Test
    void unknownFilesystem_isFsopenENODEV(@TempDir Path dir) {
        SysException e = assertThrows(SysException.class, () -> fs.mount("nosuchfs", List.of(), 0, dir.toString()));
        assertEquals("fsopen", e.call());
        assertEquals("ENODEV", e.errnoName());
    }

    @Test
    void badParameter_namesItAndCarriesTheKernelMessage(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing");
        SysException e = assertThrows(SysException.class, () -> fs.mount("overlay",
                List.of(new FsMounts.Value("lowerdir+", missing.toString())), 0, dir.toString()));
        assertEquals("fsconfig", e.call());
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.path().contains("lowerdir+=" + missing), e.path());
        assertEquals("", mountLine(dir));
    }

    @Test
    void refusedCreate_isNamed(@TempDir Path dir) throws Exception {
        Path lower = Files.createDirectory(dir.resolve("lower"));
        Path target = Files.createDirectory(dir.resolve("target"));
        SysException e = assertThrows(SysException.class, () -> fs.mount("overlay",
                List.of(new FsMounts.Value("lowerdir+", lower.toString())), 0, target.toString()));
        assertEquals("fsconfig", e.call());
        assertEquals("EINVAL", e.errnoName());
        // overlayfs writes its reason ("at least 2 lowerdir are needed") to dmesg, not the fs context log
        assertTrue(e.path().startsWith(target + " create"), e.path());
        assertEquals("", mountLine(target));
    }

    @Test
    void fds_areClosed_afterSuccessAndFailure(@TempDir Path dir) throws Exception {
        long before = openFds();
        for (int i = 0; i < 20; i++) {
            fs.mount("tmpfs", List.of(new FsMounts.Value("size", "1m")), 0, dir.toString());
            mounts.unmount(dir.toString(), Mounts.MNT_DETACH);
            assertThrows(SysException.class, () -> fs.mount("overlay",
                    List.of(new FsMounts.Value("lowerdir+", dir.resolve("missing").toString())), 0, dir.toString()));
        }
        assertEquals(before, openFds());
    }

    private static long openFds() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static String mountLine(Path dir) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(dir.toString())).findFirst().orElse("");
    }
}
