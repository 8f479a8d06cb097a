package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.PodSandboxState;
import dev.restoreshim.proto.cri.PodSandboxStatusRequest;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue acceptance "daemon crash": SIGKILL the restore-shim daemon while a pod runs. Over TTRPC
 * containerd sees the connection drop, runs the launcher's {@code delete} and reports the tasks
 * exited; then no container process, mount or state of those tasks may be left. Over gRPC a
 * daemon restarted by the next {@code start} re-adopts the tasks and the pod keeps running.
 */
@ExtendWith(TestEnvironment.class)
class DaemonCrashIT {

    // no restore-shim TTRPC variant among it.handlers (e.g. -Dit.handlers=runc): nothing to run
    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("dev.restoreshim.it.Handler#testedRestoreShimTtrpc")
    void killedDaemonEndsTasksAndLeavesNothing(Handler handler) throws Exception {
        TestImages images = TestEnvironment.images();
        try (PrivateContainerd containerd = PrivateContainerd.start("DaemonCrashIT", handler,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> crash(containerd, images),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    /**
     * Over gRPC containerd only gives up on a shim when the channel goes idle or shuts down, so a
     * daemon that comes back on the same socket keeps the pod: SIGKILL the daemon, start a second
     * pod (its {@code start} spawns a new daemon, which re-adopts its tasks from the state dir), and
     * the first pod's app must still run, answer exec, and stop with its TERM exit code.
     */
    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("dev.restoreshim.it.Handler#testedRestoreShimGrpc")
    void restartedDaemonKeepsPodOverGrpc(Handler handler) throws Exception {
        TestImages images = TestEnvironment.images();
        try (PrivateContainerd containerd = PrivateContainerd.start("DaemonCrashIT", handler,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> restart(containerd, images),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void restart(PrivateContainerd containerd, TestImages images) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        KubeletFlow.Pod pod = kubelet.runPod("survivor");
        String app = kubelet.createContainer(pod, "app", images.app());
        kubelet.start(app);
        kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));

        HostScan.HostProcess daemon = daemonOf(containerd);
        assertTrue(ProcessHandle.of(daemon.pid()).map(ProcessHandle::destroyForcibly).orElse(false), "SIGKILL " + daemon);
        ProcessHandle.of(daemon.pid()).ifPresent(p -> p.onExit().join());

        KubeletFlow.Pod second = kubelet.runPod("restarter");
        HostScan.HostProcess restarted = daemonOf(containerd);
        assertTrue(restarted.pid() != daemon.pid(), "a new daemon runs: " + restarted);
        assertEquals(ContainerState.CONTAINER_RUNNING, kubelet.status(app).getState(), "app of the first pod after the restart");
        var exec = containerd.cri().runtime().execSync(dev.restoreshim.proto.cri.ExecSyncRequest.newBuilder()
                .setContainerId(app).addCmd("cat").addCmd("/etc/rsit-release").setTimeout(20).build());
        assertEquals(0, exec.getExitCode(), "exec into the re-adopted app; stderr=" + exec.getStderr().toStringUtf8());
        containerd.cri().runtime().stopContainer(dev.restoreshim.proto.cri.StopContainerRequest.newBuilder()
                .setContainerId(app).setTimeout(10).build());
        var exited = kubelet.awaitState(app, ContainerState.CONTAINER_EXITED, Duration.ofSeconds(15));
        assertEquals(TestImages.APP_TERM_EXIT, exited.getExitCode(), "exit code of the re-adopted app after TERM: " + exited);

        containerd.cri().runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(app).build());
        for (KubeletFlow.Pod p : List.of(pod, second)) {
            containerd.cri().runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.id()).build());
            containerd.cri().runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.id()).build());
        }
        LeakCheck.assertClean(containerd, List.of(pod.id(), second.id(), app));
    }

    private static void crash(PrivateContainerd containerd, TestImages images) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        KubeletFlow.Pod pod = kubelet.runPod("crash");
        String app = kubelet.createContainer(pod, "app", images.app());
        kubelet.start(app);
        kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        KubeletFlow.awaitFile(pod.logDir().resolve("app/0.log"), s -> s.contains(TestImages.APP_STARTED), Duration.ofSeconds(20));

        HostScan.HostProcess daemon = daemonOf(containerd);
        assertTrue(ProcessHandle.of(daemon.pid()).map(ProcessHandle::destroyForcibly).orElse(false), "SIGKILL " + daemon);

        var exited = kubelet.awaitState(app, ContainerState.CONTAINER_EXITED, Duration.ofSeconds(30));
        assertTrue(exited.getFinishedAt() > 0, "finished_at after the daemon died: " + exited);
        awaitSandboxNotReady(containerd, pod.id());
        awaitNoContainerProcesses(containerd);
        Path bundle = containerd.criBundle(app);
        assertEquals(List.of(), HostScan.mountsUnder(bundle), "mounts of the dead task");
        assertEquals(List.of(), LeakCheck.stateNaming(List.of(app), containerd.shimState(), containerd.shimRuncRoot(), containerd.runcRoot()),
                "restore-shim / runc state of the dead task");

        containerd.cri().runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(app).build());
        containerd.cri().runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        containerd.cri().runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        LeakCheck.assertClean(containerd, List.of(pod.id(), app));
    }

    /** The restore-shim node daemon of this instance: the one live pid in {@code daemon.pid}. */
    static HostScan.HostProcess daemonOf(PrivateContainerd containerd) {
        List<Long> daemons = containerd.warmDaemons();
        List<HostScan.HostProcess> processes = containerd.processes();
        if (daemons.size() != 1) {
            throw new AssertionError("expected exactly one live restore-shim daemon (daemon.pid) for this containerd, found "
                    + daemons + " among " + processes);
        }
        return processes.stream().filter(p -> p.pid() == daemons.getFirst()).findFirst()
                .orElseThrow(() -> new AssertionError("daemon " + daemons + " does not carry the instance marker: " + processes));
    }

    private static void awaitSandboxNotReady(PrivateContainerd containerd, String podId) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        PodSandboxState state;
        do {
            state = containerd.cri().runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                    .setPodSandboxId(podId).build()).getStatus().getState();
            if (state == PodSandboxState.SANDBOX_NOTREADY) {
                return;
            }
            PodmanService.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("sandbox still " + state + " 30 s after the daemon died");
    }

    private static void awaitNoContainerProcesses(PrivateContainerd containerd) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<HostScan.HostProcess> left;
        do {
            left = containerd.processes().stream().filter(p -> p.matched().equals("cgroup")).toList();
            if (left.isEmpty()) {
                return;
            }
            PodmanService.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("container processes still alive after the daemon died: " + left);
    }
}
