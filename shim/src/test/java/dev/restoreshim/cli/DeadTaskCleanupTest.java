package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.config.RestoreSettings;
import dev.restoreshim.config.ShimConfig;
import dev.restoreshim.task.LazyPagesOrphan;
import dev.restoreshim.proto.task.DeleteResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadTaskCleanupTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00.5Z");

    @TempDir
    Path tmp;
    private Path bundle;
    private DaemonLayout daemon;
    private final List<List<String>> commands = new ArrayList<>();
    private final List<Path> unmounted = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private CommandResult runtimeAnswer = new CommandResult(0, "");
    private String mountinfo = "";

    @BeforeEach
    void setUp() throws IOException {
        bundle = Files.createDirectories(tmp.resolve("bundle"));
        daemon = new DaemonLayout(tmp.resolve("d/0123456789abcdef"));
    }

    private DeadTaskCleanup cleanup() {
        ShimConfig d = ShimConfig.defaults();
        ShimConfig config = new ShimConfig(d.stateDir(), d.runtime(), d.runtimeRoot(), d.criu(), d.protocol(), d.logLevel(),
                d.java(), d.javaOptions(), new RestoreSettings(tmp.resolve("cache"), RestoreSettings.DEFAULT_TMPFS_SIZE_LIMIT),
                d.criuPolicy(), "test");
        return new DeadTaskCleanup(config, daemon,
                argv -> {
                    commands.add(argv);
                    return runtimeAnswer;
                },
                () -> MountTable.parse(mountinfo), unmounted::add, Clock.fixed(NOW, ZoneOffset.UTC), warnings::add);
    }

    @Test
    void clean_reportsKilledWithInitPid() throws IOException {
        Files.writeString(bundle.resolve("init.pid"), "4242\n");
        DeleteResponse r = cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(4242, r.getPid());
        assertEquals(137, r.getExitStatus());
        assertEquals(NOW.getEpochSecond(), r.getExitedAt().getSeconds());
        assertEquals(500_000_000, r.getExitedAt().getNanos());
        assertEquals(List.of(), warnings);
    }

    @Test
    void clean_noInitPid_reportsZero() {
        assertEquals(0, cleanup().clean("k8s.io", "abc", bundle).getPid());
    }

    @Test
    void clean_forceDeletesInRuntimeRootOfNamespace() {
        cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(List.of(List.of("runc", "--root", "/run/restore-shim/runc/k8s.io", "delete", "--force", "abc")), commands);
    }

    @Test
    void clean_containerAlreadyGone_isNoWarning() {
        runtimeAnswer = new CommandResult(1, "time=\"...\" level=error msg=\"container does not exist\"\n");
        cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(List.of(), warnings);
    }

    @Test
    void clean_runtimeFails_warnsAndStillAnswers() {
        runtimeAnswer = new CommandResult(1, "first\nlevel=error msg=\"permission denied\"\n");
        DeleteResponse r = cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(137, r.getExitStatus());
        assertEquals(1, warnings.size());
        assertTrue(warnings.getFirst().contains("permission denied"), warnings.getFirst());
    }

    @Test
    void clean_unmountsRootfsOnlyWhenMounted() {
        cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(List.of(), unmounted);
        mountinfo = "501 22 0:52 / " + bundle.resolve("rootfs") + " rw - overlay overlay rw\n";
        cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(List.of(bundle.resolve("rootfs")), unmounted);
    }

    @Test
    void clean_unmountsRestoreImageImagesMount() {
        mountinfo = "501 22 0:52 / " + bundle.resolve("rootfs") + " rw - overlay overlay rw\n"
                + "502 22 0:53 /fs/.restore-shim/checkpoint " + bundle.resolve("restore-images") + " ro - ext4 /dev/sda1 rw\n";
        cleanup().clean("k8s.io", "app", bundle);
        assertEquals(List.of(bundle.resolve("rootfs"), bundle.resolve("restore-images")), unmounted);
    }

    @Test
    void clean_removesTaskStateFile() throws IOException {
        Path state = daemon.taskStateFile("k8s.io", "abc");
        Files.createDirectories(state.getParent());
        Files.writeString(state, "{}");
        Path other = Files.writeString(state.resolveSibling("other.json"), "{}");
        cleanup().clean("k8s.io", "abc", bundle);
        assertFalse(Files.exists(state));
        assertTrue(Files.exists(other));
    }

    @Test
    void clean_badId_warnsButAnswers() {
        DeleteResponse r = cleanup().clean("k8s.io", "../x", bundle);
        assertEquals(137, r.getExitStatus());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("step=state-file")), warnings.toString());
    }

    @Test
    void clean_detachesAndRemovesTheRestoresImagesAndDeltaMounts_ofThisTaskOnly() throws IOException {
        Path images = Files.createDirectories(daemon.restoreDir().resolve("k8s.io/abc"));
        Path delta = Files.createDirectories(daemon.restoreDir().resolve("k8s.io/abc.delta"));
        Path other = Files.createDirectories(daemon.restoreDir().resolve("k8s.io/abcd"));
        mountinfo = "601 22 0:60 / " + images + " ro - erofs /var/lib/restore-shim/cache/erofs/x.erofs ro\n"
                + "602 22 0:61 / " + other + " rw - tmpfs tmpfs rw\n";
        cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(List.of(images), unmounted, "only the mounted one of this task is detached");
        assertFalse(Files.exists(images), "images mount point removed");
        assertFalse(Files.exists(delta), "delta mount point removed");
        assertTrue(Files.exists(other), "another task's mount point stays");
        assertEquals(List.of(), warnings);
    }

    @Test
    void clean_restoreMountPointNotEmpty_warnsAndAnswers() throws IOException {
        Path images = Files.createDirectories(daemon.restoreDir().resolve("k8s.io/abc"));
        Files.writeString(images.resolve("inventory.img"), "x"); // not a mount: a directory nobody should have written
        DeleteResponse r = cleanup().clean("k8s.io", "abc", bundle);
        assertEquals(137, r.getExitStatus());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("step=restore-dir") && w.contains(images.toString())),
                warnings.toString());
    }

    @Test
    void clean_removesThisTasksScratchDirs() throws IOException {
        Path scratch = tmp.resolve("cache/scratch");
        Path mine = Files.createDirectories(scratch.resolve("k8s.io-abc-18f3a2b4c5d6/upper/etc"));
        Files.writeString(mine.resolve("written"), "x");
        Path otherId = Files.createDirectories(scratch.resolve("k8s.io-abc-12-18f3a2b4c5d6/upper"));
        Path otherNs = Files.createDirectories(scratch.resolve("default-abc-18f3a2b4c5d6/upper"));
        cleanup().clean("k8s.io", "abc", bundle);
        assertFalse(Files.exists(scratch.resolve("k8s.io-abc-18f3a2b4c5d6")));
        assertTrue(Files.exists(otherId), "task abc-12's scratch stays");
        assertTrue(Files.exists(otherNs), "the same id in another namespace stays");
        assertEquals(List.of(), warnings);
    }

    @Test
    void clean_killsTheRestoresLazyPagesDaemon() throws Exception {
        Path work = Files.createDirectories(bundle.resolve("criu-work"));
        Process standIn = new ProcessBuilder("bash", "-c", "sleep 30; :", "lazy-pages", "--work-dir", work.toString())
                .start();
        try {
            Files.writeString(work.resolve(LazyPagesOrphan.PID_FILE), standIn.pid() + "\n");
            cleanup().clean("k8s.io", "abc", bundle);
            assertFalse(standIn.isAlive(), "criu lazy-pages stand-in killed");
            assertEquals(List.of("step=lazy-pages ns=k8s.io id=abc killed criu lazy-pages pid=" + standIn.pid()), warnings);
        } finally {
            standIn.destroyForcibly().waitFor();
        }
    }
}
