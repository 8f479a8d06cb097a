package dev.restoreshim.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.FsMounts;
import dev.restoreshim.sys.LinuxFileOps;
import dev.restoreshim.sys.LinuxFsMounts;
import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.Mounts;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing, as root: a delta with whiteouts extracted through the cache with the real
 * syscalls, mounted as an overlay above image-like layers, seen through the merged view.
 */
class OverlayRootfsTest {
    private static final String DIGEST = "sha256:" + "e".repeat(64);

    @TempDir
    Path tmp;

    private final Mounts mounts = new LinuxMounts();
    private final FsMounts fsMounts = new LinuxFsMounts();
    private final DeltaLayer deltaLayer = new DeltaLayer(new LinuxFileOps(), DeltaLayer.Limits.DEFAULT);

    @Test
    void mountData_mergedViewShowsTheCheckpointedFilesystem() throws Exception {
        restoreAndCheck(OverlayStack.Method.MOUNT_DATA);
    }

    @Test
    void fsconfig_mergedViewShowsTheCheckpointedFilesystem() throws Exception {
        restoreAndCheck(OverlayStack.Method.FSCONFIG);
    }

    private void restoreAndCheck(OverlayStack.Method method) throws Exception {
        Path l1 = tmp.resolve("snapshots/1/fs");
        write(l1, "etc/motd", "welcome");
        write(l1, "etc/hostname", "old");
        write(l1, "usr/share/doc/pkg/README", "docs");
        write(l1, "bin/tool", "tool");
        Path home = Files.createDirectories(l1.resolve("home/app"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-x---"));
        Files.setAttribute(home, "unix:uid", 1000);
        Files.setAttribute(home, "unix:gid", 1000);
        Path l2 = tmp.resolve("snapshots/2/fs");
        write(l2, "etc/motd", "updated");
        write(l2, "app/config", "cfg");
        RootfsMount request = new RootfsMount("overlay", "overlay", List.of("index=off",
                "workdir=" + Files.createDirectories(tmp.resolve("snapshots/3/work")),
                "upperdir=" + Files.createDirectories(tmp.resolve("snapshots/3/fs")), "lowerdir=" + l2 + ":" + l1));
        byte[] tar = new TarBuilder().dir("etc", 0755).file("etc/.wh.motd", "")
                .dir("usr/share/doc", 0755).file("usr/share/doc/.wh..wh..opq", "").file("usr/share/doc/new.txt", "new")
                .file("home/app/state", "42", 0600, 1000, 1000, Map.of("SCHILY.xattr.user.origin", "checkpoint"))
                .file("app/written.txt", "written").symlink("app/link", "written.txt").bytes();

        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 1 << 30);
        OverlayStack probe = OverlayStack.of(List.of(request), tmp.resolve("cache/x"), null);
        try (DeltaCache.Lease lease = cache.acquire(DIGEST, dir -> deltaLayer.extract(
                new java.io.ByteArrayInputStream(tar), List.of("/etc/hostname"), dir, probe.imageLayers()))) {
            OverlayStack stack = OverlayStack.of(List.of(request), lease.path(), null);
            Path rootfs = Files.createDirectories(tmp.resolve("bundle/rootfs"));
            try (OverlayMount m = OverlayMount.mount(stack, rootfs, mounts, fsMounts, method)) {
                assertEquals(method, m.method());
                assertTrue(mountLine(rootfs).contains(" overlay "), mountLine(rootfs));
                assertFalse(Files.exists(rootfs.resolve("etc/motd"), LinkOption.NOFOLLOW_LINKS), "OCI whiteout");
                assertFalse(Files.exists(rootfs.resolve("etc/hostname"), LinkOption.NOFOLLOW_LINKS), "deleted.files");
                assertEquals(List.of("new.txt"), list(rootfs.resolve("usr/share/doc")), "opaque dir");
                assertEquals("42", Files.readString(rootfs.resolve("home/app/state")));
                assertEquals(1000, Files.getAttribute(rootfs.resolve("home/app"), "unix:uid"),
                        "implicit parent keeps the image's owner");
                assertEquals(0750, (int) Files.getAttribute(rootfs.resolve("home/app"), "unix:mode") & 07777);
                assertEquals(0600, (int) Files.getAttribute(rootfs.resolve("home/app/state"), "unix:mode") & 07777);
                assertEquals("checkpoint", new String(new LinuxFileOps().lgetxattr(
                        rootfs.resolve("home/app/state").toString(), "user.origin")));
                assertEquals("cfg", Files.readString(rootfs.resolve("app/config")), "image file below");
                assertEquals("written", Files.readString(rootfs.resolve("app/link")));
                assertEquals("tool", Files.readString(rootfs.resolve("bin/tool")));
                Files.writeString(rootfs.resolve("app/after-restore"), "x");
                Files.delete(rootfs.resolve("app/written.txt"));
            }
            assertEquals("", mountLine(rootfs), "unmounted");
            assertTrue(Files.exists(tmp.resolve("snapshots/3/fs/app/after-restore")), "writes go to the upper dir");
            assertEquals("written", Files.readString(lease.path().resolve("app/written.txt")), "the delta is never written");
        }
    }

    @Test
    void hundredLayers_mountThroughFsconfig() throws Exception {
        List<String> lowers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Path layer = tmp.resolve("var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/" + i + "/fs");
            write(layer, "f" + i, "layer " + i);
            write(layer, "same", "layer " + i);
            lowers.addFirst(layer.toString()); // containerd lists the topmost layer first
        }
        RootfsMount request = new RootfsMount("overlay", "overlay", List.of(
                "workdir=" + Files.createDirectories(tmp.resolve("up/work")),
                "upperdir=" + Files.createDirectories(tmp.resolve("up/fs")), "lowerdir=" + String.join(":", lowers)));
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 1 << 30);
        try (DeltaCache.Lease lease = cache.acquire(DIGEST, dir -> deltaLayer.extract(
                new TarBuilder().file("same", "delta").stream(), List.of("/f7"), dir, LowerDirs.NONE))) {
            OverlayStack stack = OverlayStack.of(List.of(request), lease.path(), null);
            assertTrue(stack.mountData().length() > OverlayStack.PAGE, "more than one page of options");
            assertEquals(OverlayStack.Method.FSCONFIG, stack.method());
            Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
            try (OverlayMount m = OverlayMount.mount(stack, rootfs, mounts, fsMounts)) {
                assertEquals(OverlayStack.Method.FSCONFIG, m.method());
                assertEquals("delta", Files.readString(rootfs.resolve("same")), "the delta is the top lower layer");
                assertEquals("layer 0", Files.readString(rootfs.resolve("f0")), "the bottom layer is there");
                assertEquals("layer 99", Files.readString(rootfs.resolve("f99")));
                assertFalse(Files.exists(rootfs.resolve("f7")));
                assertEquals(99 + 1, list(rootfs).size());
            }
            assertEquals("", mountLine(rootfs));
        }
    }

    @Test
    void readOnlyBindOfOneLayer_getsTheDeltaAbove_andScratchUpper() throws Exception {
        Path image = tmp.resolve("snapshots/1/fs");
        write(image, "etc/motd", "welcome");
        write(image, "bin/sh", "sh");
        OverlayStack.Scratch scratch = new OverlayStack.Scratch(Files.createDirectories(tmp.resolve("scratch/up")),
                Files.createDirectories(tmp.resolve("scratch/work")));
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 1 << 30);
        try (DeltaCache.Lease lease = cache.acquire(DIGEST, dir -> deltaLayer.extract(
                new TarBuilder().file("etc/.wh.motd", "").file("new", "n").stream(), List.of(), dir, LowerDirs.NONE))) {
            OverlayStack stack = OverlayStack.of(List.of(new RootfsMount("bind", image.toString(), List.of("rbind", "ro"))),
                    lease.path(), scratch);
            Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
            try (OverlayMount m = OverlayMount.mount(stack, rootfs, mounts, fsMounts)) {
                assertEquals(rootfs, m.target());
                assertFalse(Files.exists(rootfs.resolve("etc/motd"), LinkOption.NOFOLLOW_LINKS));
                assertEquals("n", Files.readString(rootfs.resolve("new")));
                assertEquals("sh", Files.readString(rootfs.resolve("bin/sh")));
                Files.writeString(rootfs.resolve("w"), "w");
            }
            assertEquals("", mountLine(rootfs));
            assertTrue(Files.exists(scratch.upper().resolve("w")));
        }
    }

    @Test
    void missingLowerLayer_failsWithTheTarget_andMountsNothing() throws Exception {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        Path delta = Files.createDirectories(tmp.resolve("delta"));
        for (OverlayStack.Method method : OverlayStack.Method.values()) {
            OverlayStack stack = OverlayStack.of(List.of(new RootfsMount("overlay", "overlay",
                    List.of("lowerdir=" + tmp.resolve("gone")))), delta, null);
            ShimException e = assertThrows(ShimException.class,
                    () -> OverlayMount.mount(stack, rootfs, mounts, fsMounts, method));
            assertEquals(ErrorKind.INTERNAL, e.kind());
            assertTrue(e.getMessage().contains(rootfs.toString()) && e.getMessage().contains("ENOENT"), e.getMessage());
            assertEquals("", mountLine(rootfs));
        }
    }

    private static void write(Path layer, String rel, String content) throws Exception {
        Path p = layer.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private static List<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String mountLine(Path dir) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(dir.toString())).findFirst().orElse("");
    }
}
