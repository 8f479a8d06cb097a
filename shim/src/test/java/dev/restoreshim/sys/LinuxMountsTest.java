package dev.restoreshim.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real mount(2) of a tmpfs (needs root, which this project's machines and CI have). */
class LinuxMountsTest {
    private final Mounts mounts = new LinuxMounts();

    @Test
    void tmpfs_mountsAndUnmounts(@TempDir Path dir) throws Exception {
        String target = dir.toString();
        mounts.mount("tmpfs", target, "tmpfs", Mounts.MS_NOSUID, "size=1m");
        try {
            assertTrue(mountinfo().contains(" " + target + " "), "mounted");
            Files.writeString(dir.resolve("x"), "y");
        } finally {
            mounts.unmount(target, Mounts.MNT_DETACH);
        }
        assertFalse(mountinfo().contains(" " + target + " "), "unmounted");
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void badFstype_isENODEV(@TempDir Path dir) {
        SysException e = assertThrows(SysException.class,
                () -> mounts.mount("none", dir.toString(), "nosuchfs", 0, null));
        assertEquals("ENODEV", e.errnoName());
        assertEquals("mount", e.call());
        assertEquals(dir.toString(), e.path());
    }

    @Test
    void unmountOfNonMount_isEINVAL(@TempDir Path dir) {
        SysException e = assertThrows(SysException.class, () -> mounts.unmount(dir.toString(), 0));
        assertEquals("EINVAL", e.errnoName());
    }

    private static String mountinfo() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo"));
    }
}
