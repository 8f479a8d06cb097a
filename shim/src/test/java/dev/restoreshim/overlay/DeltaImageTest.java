package dev.restoreshim.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.sys.LinuxFileOps;
import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.Mounts;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two forms of a delta layer are the same layer: one delta (whiteouts, an opaque directory,
 * implied parents, replaced entries, hard links, xattrs, long and non-ASCII names, deleted.files)
 * extracted as a directory by the real syscalls, and written as a tar that the real
 * {@code mkfs.erofs --tar=f --aufs} builds into an image, which is mounted and walked (needs root
 * and erofs-utils, which this project's machines and CI have).
 */
class DeltaImageTest {
    @TempDir
    Path tmp;

    @Test
    void erofsImage_holdsTheSameLayerAsTheExtractedDirectory() throws Exception {
        Path lower = Files.createDirectories(tmp.resolve("lower/etc"));
        Files.setPosixFilePermissions(lower, PosixFilePermissions.fromString("rwx--x--x"));
        Files.createDirectories(tmp.resolve("lower/home/app"));
        Files.setPosixFilePermissions(tmp.resolve("lower/home"), PosixFilePermissions.fromString("rwxr-x---"));
        LowerDirs lowerDirs = new LowerDirs(List.of(tmp.resolve("lower")));
        String longName = "deep/" + "n".repeat(120) + "/file-with-a-long-path";
        byte[] tar = new TarBuilder().dir("usr", 0755).dir("usr/bin", 0750)
                .file("usr/bin/tool", "#!/bin/sh\n", 04755, 1000, 1001, Map.of())
                .symlink("usr/bin/alias", "tool").symlink("abs", "/etc/passwd").fifo("usr/pipe")
                .hardlink("usr/bin/tool2", "usr/bin/tool")
                .file("etc/.wh.gone", "").file("var/cache/.wh..wh..opq", "").file("var/cache/new", "n")
                .device("run/old", org.apache.commons.compress.archivers.tar.TarConstants.LF_CHR, 0, 0)
                .file("x", "xattrs", 0640, 0, 0, Map.of("SCHILY.xattr.user.note", "hello",
                        "SCHILY.xattr.trusted.overlay.redirect", "/etc",
                        "LIBARCHIVE.xattr.security.capability", "AQAAAgAgAAAAAAAAAAAAAAAAAAA="))
                .file("replaced", "first").dir("replaced", 0700).file("replaced/child", "c")
                .dir("gone-dir", 0755).file("gone-dir/inside", "i").file("gone-dir", "now a file")
                .file(longName, "long").file("home/app/état", "utf-8 name").file("big", "b".repeat(70_000))
                .file("opt/old/f", "o").bytes();
        List<String> deleted = List.of("/usr/bin/alias", "/opt/old");
        DeltaLayer layer = new DeltaLayer(new LinuxFileOps(), DeltaLayer.Limits.DEFAULT);

        Path dir = Files.createDirectories(tmp.resolve("dir"));
        DeltaLayer.Stats extracted = layer.extract(new java.io.ByteArrayInputStream(tar), deleted, dir, lowerDirs);

        Path image = tmp.resolve("delta.erofs");
        Process mkfs = new ProcessBuilder("mkfs.erofs", "--quiet", "--tar=f", "--aufs", image.toString())
                .redirectErrorStream(true).start();
        DeltaLayer.Stats written;
        try (OutputStream out = mkfs.getOutputStream()) {
            written = layer.writeTar(new java.io.ByteArrayInputStream(tar), deleted, out, lowerDirs);
        }
        String mkfsOutput = new String(mkfs.getInputStream().readAllBytes());
        assertEquals(0, mkfs.waitFor(), "mkfs.erofs: " + mkfsOutput);
        assertEquals(extracted, written, "the same entries counted");

        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        assertTrue(Files.size(image) > 70_000, "the data is in the image");
        var mounts = new LinuxMounts();
        mounts.mount(image.toString(), mnt.toString(), "erofs", Mounts.MS_RDONLY, "");
        try {
            Map<String, String> fromDir = describe(dir);
            Map<String, String> fromImage = describe(mnt);
            assertEquals(fromDir.keySet(), fromImage.keySet());
            for (String p : fromDir.keySet()) {
                String d = fromDir.get(p);
                String i = fromImage.get(p);
                assertEquals(d.substring(d.indexOf(' ')), i.substring(i.indexOf(' ')), p);
                // a directory without a time of its own gets the time it was written, in both forms
                long dt = Long.parseLong(d.substring(0, d.indexOf(' ')));
                long it = Long.parseLong(i.substring(0, i.indexOf(' ')));
                assertTrue(Math.abs(dt - it) <= 2, p + ": " + d + " / " + i);
            }
            assertTrue(fromImage.get("var/cache").contains("trusted.overlay.opaque=79"), fromImage.get("var/cache"));
            assertTrue(fromImage.get("etc/gone").contains(" whiteout "), fromImage.get("etc/gone"));
            assertTrue(fromImage.get("opt/old").contains(" whiteout "), "deleted.files over a directory");
            assertTrue(fromImage.get("etc").contains(" dir 711 "), "implied parent from the lower layer: "
                    + fromImage.get("etc"));
            assertTrue(fromImage.get("").contains(" dir 755 "), "the root is never mkfs.erofs' 0777: " + fromImage.get(""));
            assertTrue(Files.isSameFile(mnt.resolve("usr/bin/tool"), mnt.resolve("usr/bin/tool2")), "hard link");
        } finally {
            mounts.unmount(mnt.toString(), Mounts.MNT_DETACH);
        }
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mnt + " "));
    }

    /** Path to "mtime-seconds type mode uid:gid content-or-target xattrs" for the whole tree. */
    private static Map<String, String> describe(Path root) throws IOException {
        var files = new LinuxFileOps();
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,rdev,size",
                        LinkOption.NOFOLLOW_LINKS);
                int mode = (int) a.get("mode");
                String type = switch (mode & 0170000) {
                    case 0040000 -> "dir";
                    case 0100000 -> "file";
                    case 0120000 -> "symlink";
                    case 0010000 -> "fifo";
                    case 0020000 -> (long) a.get("rdev") == 0 ? "whiteout" : "chardev";
                    default -> "other";
                };
                String body = switch (type) {
                    case "file" -> HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(Files.readAllBytes(p)));
                    case "symlink" -> Files.readSymbolicLink(p).toString();
                    default -> "";
                };
                List<String> xattrs = new ArrayList<>();
                for (String name : List.of("user.note", "security.capability", "trusted.overlay.opaque",
                        "trusted.overlay.redirect")) {
                    byte[] v = type.equals("symlink") ? null : files.lgetxattr(p.toString(), name);
                    if (v != null) {
                        xattrs.add(name + "=" + HexFormat.of().formatHex(v));
                    }
                }
                // a whiteout's and symlink's times do not matter; the root's is the upper dir's in the overlay
                long mtime = type.equals("whiteout") || type.equals("symlink") || p.equals(root) ? 0
                        : ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).to(TimeUnit.SECONDS);
                out.put(root.relativize(p).toString(), mtime + " " + type + " " + Integer.toOctalString(mode & 07777)
                        + " " + a.get("uid") + ":" + a.get("gid") + " " + body + " " + xattrs);
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        return out;
    }

}
