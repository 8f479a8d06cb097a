package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.ContainerFilter;
import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.ContainerStats;
import dev.restoreshim.proto.cri.ContainerStatsRequest;
import dev.restoreshim.proto.cri.ContainerStatus;
import dev.restoreshim.proto.cri.ExecSyncRequest;
import dev.restoreshim.proto.cri.ExecSyncResponse;
import dev.restoreshim.proto.cri.ImageSpec;
import dev.restoreshim.proto.cri.ImageStatusRequest;
import dev.restoreshim.proto.cri.ListContainersRequest;
import dev.restoreshim.proto.cri.PodSandboxState;
import dev.restoreshim.proto.cri.PodSandboxStatus;
import dev.restoreshim.proto.cri.PodSandboxStatusRequest;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.ReopenContainerLogRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.StopContainerRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A pod of two containers (sandbox + app) driven through CRI the way the kubelet does, once per
 * tested handler (see {@link Handler#tested()}), each against its own containerd.
 */
@ExtendWith(TestEnvironment.class)
class PodLifecycleIT {

    /** ExecSync runs with a 20 s timeout inside containerd; the call itself may take a little longer. */
    private static final Duration EXEC_DEADLINE = Duration.ofSeconds(30);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.restoreshim.it.Handler#testedStream")
    void podRunsLogsExecsStopsAndLeavesNothing(Handler handler) throws Exception {
        TestImages images = TestEnvironment.images();
        try (PrivateContainerd containerd = PrivateContainerd.start("PodLifecycleIT", handler,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(4), () -> lifecycle(containerd, images),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void lifecycle(PrivateContainerd containerd, TestImages images) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        CriClient cri = containerd.cri();

        kubelet.pull(images.pause());
        String imageRef = kubelet.pull(images.app());
        assertTrue(imageRef.startsWith("sha256:"), "PullImage image_ref: " + imageRef);
        var image = cri.images().imageStatus(ImageStatusRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(images.app())).build()).getImage();
        assertFalse(image.getRepoDigestsList().isEmpty(), "pulled image has a repo digest: " + image);

        KubeletFlow.Pod pod = kubelet.runPod("lifecycle");
        PodSandboxStatus podStatus = cri.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                .setPodSandboxId(pod.id()).build()).getStatus();
        assertEquals(PodSandboxState.SANDBOX_READY, podStatus.getState(), "sandbox state");
        assertEquals(containerd.handler().criName(), podStatus.getRuntimeHandler(), "sandbox runtime handler");

        String app = kubelet.createContainer(pod, "app", images.app());
        kubelet.start(app);
        ContainerStatus started = kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        assertTrue(started.getStartedAt() > 0, "started_at set: " + started);

        var log = pod.logDir().resolve("app/0.log");
        String logged = KubeletFlow.awaitFile(log, s -> s.contains(TestImages.APP_STARTED) && s.contains("app: tick 1"),
                Duration.ofSeconds(20));
        assertTrue(logged.lines().anyMatch(l -> l.matches("\\S+ stdout [FP] " + TestImages.APP_STARTED)),
                "CRI log format <time> stdout F <line>:\n" + logged);

        var running = containerd.processes();
        assertTrue(running.stream().anyMatch(p -> p.matched().equals("cgroup")) && running.stream().anyMatch(p -> !p.matched().equals("cgroup")),
                "the leak scan sees the pod's containers and its shim: " + running);
        execSync(containerd, app);
        reopenLog(cri, app, log);
        containerStats(cri, app);
        var listed = cri.runtime().listContainers(ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().setPodSandboxId(pod.id())).build()).getContainersList();
        assertEquals(List.of(app), listed.stream().map(c -> c.getId()).toList(), "ListContainers of the pod");
        if (containerd.handler().isRestoreShim()) {
            daemonStatusListsRunning(containerd, List.of(pod.id(), app));
        }

        cri.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(app).setTimeout(10).build());
        ContainerStatus exited = kubelet.awaitState(app, ContainerState.CONTAINER_EXITED, Duration.ofSeconds(15));
        assertEquals(TestImages.APP_TERM_EXIT, exited.getExitCode(), "exit code after TERM: " + exited);
        KubeletFlow.awaitFile(log, s -> s.contains(TestImages.APP_GOT_TERM), Duration.ofSeconds(5));

        cri.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(app).build());
        try {
            kubelet.status(app);
            throw new AssertionError("ContainerStatus after RemoveContainer should be NOT_FOUND");
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "ContainerStatus after remove: " + e.getStatus());
        }
        cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        LeakCheck.assertClean(containerd, List.of(pod.id(), app));
    }

    /** Log rotation as the kubelet does it: rename the file, ReopenContainerLog, new lines go to a new file. */
    private static void reopenLog(CriClient cri, String app, java.nio.file.Path log) throws Exception {
        java.nio.file.Files.move(log, log.resolveSibling("0.log.1"));
        cri.runtime().reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(app).build());
        KubeletFlow.awaitFile(log, s -> s.contains("app: tick"), Duration.ofSeconds(10));
    }

    /** {@code restore-shim status --json}: the daemon answers SERVING and lists the pod's tasks as running. */
    private static void daemonStatusListsRunning(PrivateContainerd containerd, List<String> ids) {
        var result = HostCommand.of(ShimInstall.prefix().resolve("bin/restore-shim").toString(), "status",
                "--config", containerd.dir().resolve("shim/config.toml").toString(), "--json")
                .withTimeout(Duration.ofSeconds(30)).run().orThrow();
        String json = result.stdout();
        assertTrue(json.contains("\"health\" : \"SERVING\""), "status reports SERVING:\n" + json);
        for (String id : ids) {
            assertTrue(json.matches("(?s).*\"id\" : \"" + id + "\",\\s*\"pid\" : [1-9][0-9]*,\\s*\"status\" : \"running\".*"),
                    "status lists " + id + " as running:\n" + json);
        }
    }

    private static void execSync(PrivateContainerd containerd, String app) {
        ExecSyncResponse cat = containerd.cri().runtime(EXEC_DEADLINE).execSync(ExecSyncRequest.newBuilder().setContainerId(app)
                .addCmd("cat").addCmd("/etc/rsit-release").setTimeout(20).build());
        assertEquals(0, cat.getExitCode(), "exec cat exit code; stderr=" + cat.getStderr().toStringUtf8());
        assertEquals(TestImages.RELEASE_TEXT + "\n", cat.getStdout().toString(StandardCharsets.UTF_8), "exec cat stdout");

        ExecSyncResponse fail = containerd.cri().runtime(EXEC_DEADLINE).execSync(ExecSyncRequest.newBuilder().setContainerId(app)
                .addCmd("sh").addCmd("-c").addCmd("echo to-stderr >&2; echo to-stdout; exit 3").setTimeout(20).build());
        assertEquals(3, fail.getExitCode(), "exec exit code");
        assertEquals("to-stdout\n", fail.getStdout().toStringUtf8(), "exec stdout");
        assertEquals("to-stderr\n", fail.getStderr().toStringUtf8(), "exec stderr");
    }

    private static void containerStats(CriClient cri, String app) {
        ContainerStats stats = cri.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(app).build()).getStats();
        assertEquals(app, stats.getAttributes().getId(), "stats attributes id");
        assertTrue(stats.getCpu().getTimestamp() > 0, "cpu timestamp: " + stats);
        assertTrue(stats.getCpu().getUsageCoreNanoSeconds().getValue() > 0, "cpu usage: " + stats);
        assertTrue(stats.getMemory().getWorkingSetBytes().getValue() > 0, "memory working set: " + stats);
    }
}
