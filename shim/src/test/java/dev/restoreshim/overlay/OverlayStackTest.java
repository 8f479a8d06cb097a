package dev.restoreshim.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.FsMounts;
import dev.restoreshim.sys.Mounts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OverlayStackTest {
    private static final Path DELTA = Path.of("/var/lib/restore-shim/deltas/sha256-aa");

    private static RootfsMount overlay(String lowerdir, String... extra) {
        List<String> o = new ArrayList<>(List.of(extra));
        o.addAll(List.of("workdir=/s/9/work", "upperdir=/s/9/fs", "lowerdir=" + lowerdir));
        return new RootfsMount("overlay", "overlay", o);
    }

    @Test
    void overlayMount_getsTheDeltaAsTopLowerLayer() {
        OverlayStack s = OverlayStack.of(List.of(overlay("/s/3/fs:/s/2/fs:/s/1/fs", "index=off", "nosuid")), DELTA, null);
        assertEquals(List.of(DELTA, Path.of("/s/3/fs"), Path.of("/s/2/fs"), Path.of("/s/1/fs")), s.lowerDirs());
        assertEquals(Optional.of(Path.of("/s/9/fs")), s.upperDir());
        assertEquals(Optional.of(Path.of("/s/9/work")), s.workDir());
        assertEquals("lowerdir=" + DELTA + ":/s/3/fs:/s/2/fs:/s/1/fs,upperdir=/s/9/fs,workdir=/s/9/work,index=off",
                s.mountData());
        assertEquals(Mounts.MS_NOSUID, s.mountFlags());
        assertEquals(FsMounts.MOUNT_ATTR_NOSUID, s.attrFlags());
        assertEquals(OverlayStack.Method.MOUNT_DATA, s.method());
        assertEquals(new LowerDirs(List.of(Path.of("/s/3/fs"), Path.of("/s/2/fs"), Path.of("/s/1/fs"))), s.imageLayers());
    }

    @Test
    void manyLayers_overOnePage_useFsconfigWithOneParamPerLayer() {
        List<String> lowers = new ArrayList<>();
        for (int i = 100; i >= 1; i--) {
            lowers.add("/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/" + i + "/fs");
        }
        OverlayStack s = OverlayStack.of(List.of(overlay(String.join(":", lowers))), DELTA, null);
        assertTrue(s.mountData().length() > OverlayStack.PAGE);
        assertEquals(OverlayStack.Method.FSCONFIG, s.method());
        List<FsMounts.Param> p = s.fsParams();
        assertEquals(new FsMounts.Value("source", "overlay"), p.get(0));
        assertEquals(new FsMounts.Value("lowerdir+", DELTA.toString()), p.get(1));
        assertEquals(new FsMounts.Value("lowerdir+", lowers.getFirst()), p.get(2));
        assertEquals(new FsMounts.Value("lowerdir+", lowers.getLast()), p.get(101));
        assertEquals(new FsMounts.Value("upperdir", "/s/9/fs"), p.get(102));
        assertEquals(new FsMounts.Value("workdir", "/s/9/work"), p.get(103));
        assertEquals(104, p.size());
    }

    @Test
    void escapedLowerdir_isParsed_andPathsNeedingEscapes_useFsconfig() {
        OverlayStack s = OverlayStack.of(List.of(overlay("/a\\:b:/c")), DELTA, null);
        assertEquals(List.of(DELTA, Path.of("/a:b"), Path.of("/c")), s.lowerDirs());
        assertEquals(OverlayStack.Method.FSCONFIG, s.method());
        assertTrue(s.mountData().contains("/a\\:b"));
    }

    @Test
    void flagOptions_becomeFsconfigFlags() {
        OverlayStack s = OverlayStack.of(List.of(overlay("/l", "userxattr", "redirect_dir=off", "ro")), DELTA, null);
        assertTrue(s.readOnly());
        assertEquals(FsMounts.MOUNT_ATTR_RDONLY, s.attrFlags());
        assertTrue(s.fsParams().contains(new FsMounts.Flag("userxattr")));
        assertTrue(s.fsParams().contains(new FsMounts.Value("redirect_dir", "off")));
    }

    @Test
    void readOnlyBind_isTheSingleImageLayer_withScratchUpper() {
        RootfsMount bind = new RootfsMount("bind", "/s/1/fs", List.of("rbind", "ro"));
        OverlayStack s = OverlayStack.of(List.of(bind), DELTA, new OverlayStack.Scratch(Path.of("/x/up"), Path.of("/x/wk")));
        assertEquals(List.of(DELTA, Path.of("/s/1/fs")), s.lowerDirs());
        assertEquals(Optional.of(Path.of("/x/up")), s.upperDir());
        assertFalse(s.readOnly());
        OverlayStack view = OverlayStack.of(List.of(bind), DELTA, null);
        assertTrue(view.readOnly());
        assertEquals(Optional.empty(), view.upperDir());
    }

    @Test
    void readWriteBind_isTheUpper_andNeedsAWorkDir() {
        RootfsMount bind = new RootfsMount("bind", "/s/1/fs", List.of("rbind", "rw"));
        OverlayStack s = OverlayStack.of(List.of(bind), DELTA, new OverlayStack.Scratch(Path.of("/x/up"), Path.of("/s/1/wk")));
        assertEquals(List.of(DELTA), s.lowerDirs());
        assertEquals(Optional.of(Path.of("/s/1/fs")), s.upperDir());
        assertEquals(Optional.of(Path.of("/s/1/wk")), s.workDir());
        ShimException e = assertThrows(ShimException.class, () -> OverlayStack.of(List.of(bind), DELTA, null));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    }

    @Test
    void unsupportedRequests_areInvalidArgument() {
        assertInvalid(List.of(), DELTA, "exactly one");
        assertInvalid(List.of(overlay("/a"), overlay("/b")), DELTA, "exactly one");
        assertInvalid(List.of(new RootfsMount("erofs", "/x", List.of())), DELTA, "\"erofs\"");
        assertInvalid(List.of(new RootfsMount("overlay", "overlay", List.of("upperdir=/u", "workdir=/w"))), DELTA,
                "without lowerdir");
        assertInvalid(List.of(overlay("/a::/b")), DELTA, "empty path");
        assertInvalid(List.of(overlay("/a")), Path.of("relative"), "not absolute");
    }

    @Test
    void overlayMount_choosesTheCallByMethod_andUnmountsOnce() {
        List<String> calls = new ArrayList<>();
        Mounts mounts = new Mounts() {
            @Override
            public void mount(String source, String target, String fstype, long flags, String data) {
                calls.add("mount " + fstype + " " + target + " " + data);
            }

            @Override
            public void unmount(String target, int flags) {
                calls.add("umount2 " + target + " " + flags);
            }
        };
        FsMounts fs = (type, params, attr, target) -> calls.add("fsmount " + type + " " + target + " " + params.size());
        OverlayStack s = OverlayStack.of(List.of(overlay("/l")), DELTA, null);
        try (OverlayMount m = OverlayMount.mount(s, Path.of("/b/rootfs"), mounts, fs)) {
            assertEquals(OverlayStack.Method.MOUNT_DATA, m.method());
        }
        OverlayMount m = OverlayMount.mount(s, Path.of("/b/rootfs"), mounts, fs, OverlayStack.Method.FSCONFIG);
        m.close();
        m.close(); // the second close does nothing
        assertEquals(List.of("mount overlay /b/rootfs " + s.mountData(), "umount2 /b/rootfs 2",
                "fsmount overlay /b/rootfs 5", "umount2 /b/rootfs 2"), calls);
    }

    private static void assertInvalid(List<RootfsMount> mounts, Path delta, String part) {
        ShimException e = assertThrows(ShimException.class, () -> OverlayStack.of(mounts, delta, null));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void topLayer_firstLowerDirOrBindSource() {
        assertEquals(Optional.of(Path.of("/s/3/fs")), OverlayStack.topLayer(List.of(overlay("/s/3/fs:/s/2/fs"))));
        assertEquals(Optional.of(Path.of("/s/a:b/fs")), OverlayStack.topLayer(List.of(overlay("/s/a\\:b/fs:/s/2/fs"))));
        assertEquals(Optional.of(Path.of("/s/1/fs")),
                OverlayStack.topLayer(List.of(new RootfsMount("bind", "/s/1/fs", List.of("rbind", "ro")))));
        assertEquals(Optional.empty(), OverlayStack.topLayer(List.of(new RootfsMount("tmpfs", "tmpfs", List.of()))));
        assertEquals(Optional.empty(), OverlayStack.topLayer(List.of()));
    }

    @Test
    void withoutTopLayer_keepsTheRestUpperWorkAndOptions() {
        OverlayStack s = OverlayStack.withoutTopLayer(List.of(overlay("/s/3/fs:/s/2/fs:/s/1/fs", "index=off", "nodev")));
        assertEquals(List.of(Path.of("/s/2/fs"), Path.of("/s/1/fs")), s.lowerDirs());
        assertEquals("lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/9/fs,workdir=/s/9/work,index=off", s.mountData());
        assertEquals(Mounts.MS_NODEV, s.mountFlags());
    }

    @Test
    void withoutTopLayer_nothingBelow_isRefused() {
        ShimException one = assertThrows(ShimException.class, () -> OverlayStack.withoutTopLayer(List.of(overlay("/s/3/fs"))));
        assertEquals(ErrorKind.FAILED_PRECONDITION, one.kind());
        ShimException bind = assertThrows(ShimException.class, () -> OverlayStack.withoutTopLayer(
                List.of(new RootfsMount("bind", "/s/1/fs", List.of("rbind", "ro")))));
        assertEquals(ErrorKind.FAILED_PRECONDITION, bind.kind());
        assertTrue(bind.getMessage().contains("/s/1/fs"), bind.getMessage());
    }
}
