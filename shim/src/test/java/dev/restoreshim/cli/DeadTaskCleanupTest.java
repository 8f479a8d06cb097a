package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.config.ShimConfig;
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
        return new DeadTaskCleanup(ShimConfig.defaults(), daemon,
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
}
