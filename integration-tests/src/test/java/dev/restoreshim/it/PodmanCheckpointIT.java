package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * A real Podman export: the restore app runs under Podman (runc, no network), {@code podman
 * container checkpoint --export} writes a zstd archive in Podman's layout (plain
 * {@code rootfs-diff.tar} without directory entries, JSON {@code deleted.files}). {@code restore-shim
 * inspect} must read it (engine, compression, delta format, the deletion); a restore of it through
 * the pod annotation must convert its delta into a cached overlay layer (the written file, and a
 * whiteout for the deleted one). Podman's checkpoint names Podman's own mounts, so whether CRIU can
 * then restore it into a CRI pod is reported, not required; either way nothing is left behind.
 */
@ExtendWith(TestEnvironment.class)
class PodmanCheckpointIT {

    @Test
    void podmanExport_inspectedAndItsDeltaConverted() throws Exception {
        try (PrivateContainerd containerd = PrivateContainerd.start("PodmanCheckpointIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(4), () -> exportAndRestore(containerd),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void exportAndRestore(PrivateContainerd containerd) throws Exception {
        String image = CheckpointedApp.image();
        Path archive = containerd.dir().resolve("podman-export.tar.zst");
        String name = "rsit-podman-" + ProcessHandle.current().pid();
        podman(Duration.ofMinutes(2), "pull", "--tls-verify=false", image);
        try {
            podman(Duration.ofMinutes(1), "run", "-d", "--name", name, "--network", "none", image);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!podman(Duration.ofSeconds(20), "logs", name).stdout().contains("app: tick 3 ")
                    && System.nanoTime() < deadline) {
                PodmanService.sleep(200);
            }
            podman(Duration.ofMinutes(2), "container", "checkpoint", "--export", archive.toString(), name);
        } finally {
            podman(Duration.ofMinutes(1), "rm", "-f", name);
        }

        JsonNode inspect = ShimCli.json(ShimCli.run("inspect", "--json", "--delta-files", archive.toString()).stdout());
        System.out.println("inspect: " + inspect);
        assertEquals("podman", inspect.get("engine").asString(), inspect.toString());
        assertEquals("zstd", inspect.get("compression").asString(), inspect.toString());
        assertEquals("plain_tar", inspect.get("delta").get("format").asString(), inspect.toString());
        assertEquals(1, inspect.get("delta").get("deletions").asLong(), "deleted.files lists /etc/rsit-release: " + inspect);
        assertTrue(inspect.get("memory_bytes").asLong() >= 8L << 20, "the 8 MiB of the app: " + inspect);

        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(TestEnvironment.images().pause());
        kubelet.pull(image);
        KubeletFlow.Pod pod = kubelet.runPod("podman", "restore", Map.of("restore-shim.dev/checkpoint", archive.toString()));
        String id = kubelet.createContainer(pod, "app", image);
        try {
            kubelet.start(id);
            String log = KubeletFlow.awaitFile(pod.logDir().resolve("app/0.log"), s -> s.contains("app: tick"), Duration.ofSeconds(20));
            System.out.println("the Podman checkpoint restored in a CRI pod:\n" + log);
        } catch (StatusRuntimeException e) {
            System.out.println("the Podman checkpoint did not restore in a CRI pod: " + e.getStatus());
            assertTrue(String.valueOf(e.getStatus().getDescription()).contains("restore.log"),
                    "only CRIU may refuse it, the archive and delta are fine: " + e.getStatus());
        }
        // the daemon's default on this host keeps the delta as an EROFS image: look inside it
        Path deltaImage = cachedLayer(containerd);
        assertTrue(deltaImage.getFileName().toString().endsWith(".erofs") && Files.isRegularFile(deltaImage),
                "the delta is an EROFS image file: " + deltaImage);
        Path layer = Files.createTempDirectory("rsit-delta-");
        HostCommand.of("mount", "-t", "erofs", "-o", "ro", deltaImage.toString(), layer.toString()).check();
        try {
            assertEquals("written by app\n", Files.readString(layer.resolve("etc/app-written")));
            PosixFileAttributes whiteout = Files.readAttributes(layer.resolve("etc/rsit-release"),
                    PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            assertTrue(whiteout.isOther(), "deleted.files became an overlay whiteout (char 0:0): " + whiteout);
            assertEquals(0L, rdev(layer.resolve("etc/rsit-release")), "whiteout device 0:0");
        } finally {
            HostCommand.of("umount", layer.toString()).check();
            Files.delete(layer);
        }
        kubelet.remove(List.of(id), List.of(pod));
        LeakCheck.assertClean(containerd, List.of(pod.id(), id));
    }

    private static long rdev(Path p) throws java.io.IOException {
        return ((Number) Files.getAttribute(p, "unix:rdev", java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    /** The one complete entry of the delta cache. */
    private static Path cachedLayer(PrivateContainerd containerd) throws java.io.IOException {
        try (Stream<Path> entries = Files.list(containerd.dir().resolve("shim/cache/deltas"))) {
            List<Path> complete = entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
            assertEquals(1, complete.size(), "one cached delta: " + complete);
            return complete.getFirst();
        }
    }

    private static HostCommand.Result podman(Duration limit, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("podman", "--runtime", "runc"));
        argv.addAll(List.of(args));
        return HostCommand.of(argv).withTimeout(limit)
                .withEnv(Map.of("CONTAINERS_CONF", TestEnvironment.shared().podman().containersConf().toString()))
                .check();
    }
}
