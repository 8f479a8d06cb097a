package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.ExecSyncRequest;
import dev.restoreshim.proto.cri.ExecSyncResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code restore-shim inspect} on a real containerd CRI checkpoint archive: a running app container
 * (stock runc handler) writes a file and deletes one of its image, is checkpointed through CRI
 * {@code CheckpointContainer}, and the shaded jar's {@code inspect --json --delta-files} must report
 * what the archive holds; {@code checkpointctl show} must agree on name and image. Both are timed.
 */
@ExtendWith(TestEnvironment.class)
class CheckpointInspectIT {

    @Test
    void inspect_realContainerdCheckpoint_matchesCheckpointctl() throws Exception {
        TestImages images = TestEnvironment.images();
        Path jar = TestEnvironment.repoDir().resolve("shim/target/restore-shim.jar");
        assertTrue(Files.isRegularFile(jar), "run `mvn package` in shim first: no " + jar);
        try (PrivateContainerd containerd = PrivateContainerd.start("CheckpointInspectIT", Handler.RUNC,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(4), () -> checkpointAndInspect(containerd, images, jar),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void checkpointAndInspect(PrivateContainerd containerd, TestImages images, Path jar) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        KubeletFlow.Pod pod = kubelet.runPod("ckpt");
        String app = kubelet.createContainer(pod, "app", images.app());
        kubelet.start(app);
        kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        KubeletFlow.awaitFile(pod.logDir().resolve("app/0.log"), s -> s.contains("app: tick 1"), Duration.ofSeconds(20));
        ExecSyncResponse changed = containerd.cri().runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(app)
                .addAllCmd(java.util.List.of("/bin/sh", "-c", "echo kept > /tmp/written && rm /etc/rsit-release"))
                .setTimeout(10).build());
        assertEquals(0, changed.getExitCode(), changed.getStderr().toStringUtf8());

        Path archive = containerd.dir().resolve("app-checkpoint.tar");
        kubelet.checkpoint(app, archive);
        assertTrue(Files.size(archive) > 0, "checkpoint archive written");
        Files.copy(archive, TestEnvironment.logDir().resolve("containerd-checkpoint.tar"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        HostCommand.Result inspect = HostCommand.of(javaBin, "-jar", jar.toString(), "inspect", "--json", "--delta-files",
                archive.toString()).withTimeout(Duration.ofSeconds(60)).check();
        long inspectMs = (System.nanoTime() - t0) / 1_000_000;
        String json = inspect.stdout();
        assertField(json, "compression", "none");
        assertField(json, "engine", "containerd");
        assertField(json, "display_name", "app");
        assertTrue(json.contains("\"name\" : \"app_ckpt_"), "containerd's CRI name in config.dump: " + json);
        assertField(json, "rootfs_image_name", images.app());
        assertField(json, "format", "oci_layer");
        assertTrue(json.contains("\"name\" : \"inventory.img\""), json);
        assertTrue(Pattern.compile("\"name\" : \"pages-\\d+\\.img\"").matcher(json).find(), json);
        assertTrue(number(json, "memory_bytes") > 0, json);
        assertTrue(number(json, "deletions") >= 1, "etc/.wh.rsit-release is counted: " + json);
        assertTrue(Pattern.compile("\"criu_version\" : \"\\d+\\.\\d+").matcher(json).find(), json);

        HostCommand.Result text = HostCommand.of(javaBin, "-jar", jar.toString(), "inspect", archive.toString()).check();
        assertTrue(text.stdout().contains("engine        containerd CRI"), text.stdout());
        assertTrue(text.stdout().contains("container     app (app_ckpt_"), text.stdout());
        assertTrue(text.stdout().contains("dump          frozen "), "stats-dump decoded: " + text.stdout());

        long t1 = System.nanoTime();
        HostCommand.Result ctl = HostCommand.of("checkpointctl", "show", archive.toString())
                .withTimeout(Duration.ofSeconds(60)).check();
        long ctlMs = (System.nanoTime() - t1) / 1_000_000;
        assertTrue(ctl.stdout().contains("app"), ctl.stdout());
        assertTrue(ctl.stdout().contains(images.app()), ctl.stdout());
        System.out.printf("inspect_ms=%d checkpointctl_show_ms=%d archive_bytes=%d archive=%s%n", inspectMs, ctlMs,
                Files.size(archive), archive);
        System.out.println(text.stdout());
        System.out.println(ctl.stdout());
    }

    private static void assertField(String json, String key, String value) {
        assertTrue(json.contains("\"" + key + "\" : \"" + value + "\""), key + "=" + value + " in\n" + json);
    }

    private static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\" : (-?\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Long.parseLong(m.group(1));
    }
}
