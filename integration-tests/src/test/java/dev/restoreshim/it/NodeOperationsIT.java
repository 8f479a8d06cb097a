package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.ExecSyncRequest;
import dev.restoreshim.proto.cri.ExecSyncResponse;
import dev.restoreshim.proto.cri.StopContainerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a node operator does to a node with restore-shim pods, on the real stack over TTRPC:
 * <ul>
 *   <li>restart containerd (SIGTERM, then started again on the same root and state, as an upgrade
 *       or a service restart does) while an ordinary pod and a restored pod run: containerd
 *       reconnects to the same node daemon through the bundles' {@code address} files, both
 *       containers stay running and answer exec, the restored app keeps counting, and a stop
 *       after the restart still reaches CRI (the daemon's exit events go to the new containerd)
 *       with each app's exit code;</li>
 *   <li>install a new restore-shim while a pod runs: the old daemon keeps serving it, and once it
 *       has no task the next pod start stops it and runs one from the installed jar.</li>
 * </ul>
 * Nothing is left after removal.
 */
@ExtendWith(TestEnvironment.class)
class NodeOperationsIT {
    private static final Pattern TICK = Pattern.compile("app: tick (\\d+) ");

    @Test
    void containerdRestart_keepsOrdinaryAndRestoredPods_andTheirExitsReachCri() throws Exception {
        TestImages images = TestEnvironment.images();
        try (PrivateContainerd containerd = PrivateContainerd.start("NodeOperationsIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(4), () -> run(containerd, images),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    @Test
    void installedUpgrade_oldDaemonKeepsItsPod_andIsReplacedOnceIdle() throws Exception {
        TestImages images = TestEnvironment.images();
        try (PrivateContainerd containerd = PrivateContainerd.start("NodeOperationsIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> upgrade(containerd, images),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void upgrade(PrivateContainerd containerd, TestImages images) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        KubeletFlow.Pod first = kubelet.runPod("before-upgrade");
        String app = kubelet.createContainer(first, "app", images.app());
        kubelet.start(app);
        kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        long old = DaemonCrashIT.daemonOf(containerd).pid();

        // what install.sh does with a new version: the jar is replaced by a new file (a newer mtime)
        Path jar = ShimInstall.prefix().resolve("lib/restore-shim/restore-shim.jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now()));

        String status = ShimCli.status(containerd, false);
        assertTrue(status.contains("upgrade=pending"), "restore-shim status tells the operator:\n" + status);
        KubeletFlow.Pod second = kubelet.runPod("during-upgrade");
        assertEquals(old, DaemonCrashIT.daemonOf(containerd).pid(), "the old daemon still has a task: it serves on");
        assertEquals(ContainerState.CONTAINER_RUNNING, kubelet.status(app).getState());
        kubelet.remove(List.of(app), List.of(first, second));

        KubeletFlow.Pod third = kubelet.runPod("after-upgrade");
        long current = DaemonCrashIT.daemonOf(containerd).pid();
        assertTrue(current != old, "a daemon from the installed jar runs the next pod");
        // the launcher waited until it was gone or a zombie; init (not this test) reaps it
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ProcessHandle.of(old).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(ProcessHandle.of(old).map(h -> !h.isAlive()).orElse(true), "the old daemon has exited");
        kubelet.remove(List.of(), List.of(third));
        LeakCheck.assertClean(containerd, List.of(first.id(), second.id(), third.id(), app));
    }

    private static void run(PrivateContainerd containerd, TestImages images) throws Exception {
        CheckpointedApp app = CheckpointedApp.checkpoint(containerd, "restart-checkpoint");
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.app());
        KubeletFlow.Pod plain = kubelet.runPod("plain", "restore", Map.of());
        String plainId = kubelet.createContainer(plain, "app", images.app());
        kubelet.start(plainId);
        KubeletFlow.awaitFile(plain.logDir().resolve("app/0.log"), s -> s.contains(TestImages.APP_STARTED),
                Duration.ofSeconds(20));
        KubeletFlow.Pod restored = kubelet.runPod("restored", "restore",
                Map.of("restore-shim.dev/checkpoint", app.archive().toString()));
        String restoredId = kubelet.createContainer(restored, "app", CheckpointedApp.image());
        kubelet.start(restoredId);
        Path restoredLog = restored.logDir().resolve("app/0.log");
        app.assertContinues(containerd, restoredLog, restoredId);

        long daemon = DaemonCrashIT.daemonOf(containerd).pid();
        long tickBefore = lastTick(Files.readString(restoredLog));
        containerd.restart();
        assertEquals(daemon, DaemonCrashIT.daemonOf(containerd).pid(), "the same node daemon serves on");

        for (String id : List.of(plainId, restoredId)) {
            assertEquals(ContainerState.CONTAINER_RUNNING, kubelet.status(id).getState(), id + " after the restart");
            ExecSyncResponse exec = containerd.cri().runtime().execSync(ExecSyncRequest.newBuilder()
                    .setContainerId(id).addCmd("cat").addCmd("/etc/hostname").setTimeout(20).build());
            assertEquals(0, exec.getExitCode(), "exec into " + id + " after the restart; stderr="
                    + exec.getStderr().toStringUtf8());
        }
        String later = KubeletFlow.awaitFile(restoredLog, s -> lastTick(s) >= tickBefore + 3, Duration.ofSeconds(20));
        app.assertContinues(later);

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(plainId).setTimeout(10).build());
        var plainExit = kubelet.awaitState(plainId, ContainerState.CONTAINER_EXITED, Duration.ofSeconds(20));
        assertEquals(TestImages.APP_TERM_EXIT, plainExit.getExitCode(), "the ordinary app's TERM exit: " + plainExit);
        runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(restoredId).setTimeout(10).build());
        var restoredExit = kubelet.awaitState(restoredId, ContainerState.CONTAINER_EXITED, Duration.ofSeconds(20));
        assertEquals(0, restoredExit.getExitCode(), "the restored app exits 0 on TERM: " + restoredExit);
        assertTrue(restoredExit.getFinishedAt() > 0, restoredExit.toString());

        kubelet.remove(List.of(plainId, restoredId), List.of(plain, restored));
        LeakCheck.assertClean(containerd, List.of(plain.id(), restored.id(), plainId, restoredId));
    }

    private static long lastTick(String log) {
        long last = -1;
        Matcher m = TICK.matcher(log);
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }
}
