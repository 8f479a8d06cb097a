package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.overlay.DeltaLayer;
import dev.restoreshim.overlay.LowerDirs;
import dev.restoreshim.sys.LinuxFds;
import dev.restoreshim.sys.LinuxFileOps;
import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.LinuxProcessLauncher;
import dev.restoreshim.sys.LinuxSignals;
import dev.restoreshim.sys.PidfdReaper;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing: a delta streamed through a pipe into {@code mkfs.erofs} started by the daemon's
 * launcher and reaper, the image mounted and detached; and the two ways a build fails, each
 * leaving no image and no process (needs root and erofs-utils, as this project's CI has).
 */
class ErofsDeltaTest {
    @TempDir
    Path tmp;
    private final LinuxFds fds = new LinuxFds();
    private PidfdReaper reaper;
    private ErofsDelta erofs;
    private final DeltaLayer layer = new DeltaLayer(new LinuxFileOps(), DeltaLayer.Limits.DEFAULT);

    @BeforeEach
    void setUp() {
        reaper = new PidfdReaper(fds);
        erofs = new ErofsDelta(new HostTool(new LinuxProcessLauncher(fds), reaper, fds, new LinuxSignals(),
                Duration.ofSeconds(20)), "mkfs.erofs");
    }

    @AfterEach
    void tearDown() {
        reaper.close();
    }

    @Test
    void delta_builtThroughAPipe_mountsAndDetaches() throws Exception {
        byte[] big = "0123456789".repeat(300_000).getBytes(); // more than a pipe buffer
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("etc/app-written", "written by app\n".getBytes());
        m.put("var/big", big);
        byte[] tar = RestoreFixtures.tar(m);
        Path image = tmp.resolve("delta.erofs");
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> erofs.build(image, out -> layer.writeTar(
                new ByteArrayInputStream(tar), List.of("/etc/gone"), out, LowerDirs.NONE)));
        assertFalse(Files.exists(tmp.resolve("delta.erofs.err")), "stderr file removed");

        Path at = tmp.resolve("restore/ns/id.delta");
        ErofsDelta.Mounted mounted = ErofsDelta.mount(new LinuxMounts(), image, at);
        try {
            assertEquals("written by app\n", Files.readString(at.resolve("etc/app-written")));
            assertEquals(big.length, Files.size(at.resolve("var/big")));
            assertEquals(0L, ((Number) Files.getAttribute(at.resolve("etc/gone"), "unix:rdev",
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue(), "deleted.files: whiteout 0:0");
        } finally {
            mounted.close();
        }
        mounted.close(); // idempotent
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + at + " "), "detached");
        assertFalse(Files.exists(at), "mount point removed");
    }

    @Test
    void refusedEntry_killsMkfs_throwsTheRefusal_leavesNoImage() throws Exception {
        byte[] big = new byte[2_000_000];
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("a", big);
        m.put("../escape", "x".getBytes());
        byte[] tar = RestoreFixtures.tar(m);
        Path image = tmp.resolve("delta.erofs");
        List<Long> before = children();
        ShimException refusal = assertThrows(ShimException.class, () -> assertTimeoutPreemptively(
                Duration.ofSeconds(30), () -> erofs.build(image, out -> layer.writeTar(new ByteArrayInputStream(tar),
                        List.of(), out, LowerDirs.NONE))));
        assertEquals(ErrorKind.INVALID_ARGUMENT, refusal.kind(), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("\"../escape\""), refusal.getMessage());
        assertFalse(Files.exists(image), "no partial image");
        assertEquals(before, children(), "mkfs.erofs killed and reaped");
    }

    @Test
    void mkfsFailing_isNamedWithItsError_leavesNoImage() throws Exception {
        Path image = tmp.resolve("delta.erofs");
        List<Long> before = children();
        ShimException e = assertThrows(ShimException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> erofs.build(image, out -> {
                    byte[] junk = new byte[4 << 20];
                    java.util.Arrays.fill(junk, (byte) 'x'); // not a tar: mkfs.erofs stops reading and exits
                    out.write(junk);
                })));
        assertEquals(ErrorKind.INTERNAL, e.kind(), e.getMessage());
        assertTrue(e.getMessage().startsWith("restore: build delta image " + image + ": mkfs.erofs failed (exit "),
                e.getMessage());
        assertFalse(Files.exists(image), "no partial image");
        assertEquals(before, children(), "mkfs.erofs reaped");
    }

    @Test
    void mkfsFailing_whileTheLayerWrites_isNamedWithItsError() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("big", new byte[8 << 20]);
        byte[] tar = RestoreFixtures.tar(m);
        Path image = tmp.resolve("delta.erofs");
        ErofsDelta failing = new ErofsDelta(erofs.tool(), "false"); // exits at once, reading nothing
        ShimException e = assertThrows(ShimException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> failing.build(image, out -> layer.writeTar(new ByteArrayInputStream(tar), List.of(), out,
                        LowerDirs.NONE))));
        assertEquals("restore: build delta image " + image + ": false failed (exit 1)", e.getMessage());
    }

    /** This JVM's live children (other tests may have left some; only new ones matter). */
    private static List<Long> children() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).sorted().toList();
    }
}
