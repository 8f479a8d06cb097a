package dev.restoreshim.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real metadata calls (root: mknod of a device, trusted.* xattrs, chown). */
class LinuxFileOpsTest {
    private final FileOps ops = new LinuxFileOps();

    @TempDir
    Path dir;

    @Test
    void mknod_charDevice00_isAnOverlayWhiteout() throws Exception {
        Path p = dir.resolve("gone");
        ops.mknod(p.toString(), FileOps.S_IFCHR, FileOps.makedev(0, 0));
        assertEquals(020000, mode(p) & 0170000);
        assertEquals(0L, Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS));
        SysException e = assertThrows(SysException.class, () -> ops.mknod(p.toString(), FileOps.S_IFCHR, 0));
        assertEquals("mknod", e.call());
        assertEquals("EEXIST", e.errnoName());
        assertEquals(p.toString(), e.path());
    }

    @Test
    void makedev_matchesGlibc() {
        assertEquals(0x0103L, FileOps.makedev(1, 3));
        // glibc: minor 0x1234 -> 0x34 | 0x12 << 20; major 0x1001 -> 0x001 << 8 | 0x1 << 44
        assertEquals(0x34L | (0x12L << 20) | (0x001L << 8) | (0x1L << 44), FileOps.makedev(0x1001, 0x1234));
    }

    @Test
    void chmod_setsAllTwelveBits() throws Exception {
        Path f = Files.createFile(dir.resolve("f"));
        ops.chmod(f.toString(), 04751);
        assertEquals(04751, mode(f) & 07777);
    }

    @Test
    void lchown_changesTheSymlinkNotItsTarget() throws Exception {
        Path f = Files.createFile(dir.resolve("f"));
        Path l = Files.createSymbolicLink(dir.resolve("l"), f);
        ops.lchown(l.toString(), 1234, 5678);
        assertEquals(1234, Files.getAttribute(l, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(5678, Files.getAttribute(l, "unix:gid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(0, Files.getAttribute(f, "unix:uid"));
    }

    @Test
    void xattrs_roundTrip_andAbsentIsNull() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        ops.lsetxattr(d.toString(), "trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals("y".getBytes(StandardCharsets.US_ASCII), ops.lgetxattr(d.toString(), "trusted.overlay.opaque"));
        byte[] big = new byte[1000];
        big[999] = 7;
        ops.lsetxattr(d.toString(), "user.big", big);
        assertArrayEquals(big, ops.lgetxattr(d.toString(), "user.big"), "values over the first buffer size");
        assertNull(ops.lgetxattr(d.toString(), "user.none"));
        SysException e = assertThrows(SysException.class,
                () -> ops.lsetxattr(dir.resolve("missing").toString(), "user.x", new byte[1]));
        assertEquals("ENOENT", e.errnoName());
    }

    @Test
    void utimes_setsNanoseconds_withoutFollowingSymlinks() throws Exception {
        Path f = Files.createFile(dir.resolve("f"));
        Path l = Files.createSymbolicLink(dir.resolve("l"), f);
        long before = Files.getLastModifiedTime(f).to(TimeUnit.NANOSECONDS);
        long t = 1_714_979_289_123_456_789L;
        ops.utimes(l.toString(), t, t);
        assertEquals(t, Files.getLastModifiedTime(l, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS));
        assertEquals(before, Files.getLastModifiedTime(f).to(TimeUnit.NANOSECONDS));
        ops.utimes(f.toString(), FileOps.UTIME_OMIT, t);
        assertEquals(FileTime.from(t, TimeUnit.NANOSECONDS), Files.getLastModifiedTime(f));
    }

    private static int mode(Path p) throws Exception {
        return (int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }
}
