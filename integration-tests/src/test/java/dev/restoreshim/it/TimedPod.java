package dev.restoreshim.it;

import dev.restoreshim.proto.cri.PodSandboxConfig;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.RunPodSandboxRequest;
import dev.restoreshim.proto.cri.StopContainerRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Runs one pod (sandbox + app container) through CRI the way the kubelet does, with a chosen
 * runtime handler, and times every call: RunPodSandbox, PullImage, CreateContainer,
 * StartContainer, the wait for the app's first log line, StopContainer, RemoveContainer,
 * StopPodSandbox, RemovePodSandbox. On failure the pod is removed before the exception leaves.
 */
public final class TimedPod {

    /** How often the CRI log file is polled for the first line. */
    private static final long LOG_POLL_MICROS = 500;

    private final PrivateContainerd containerd;
    private final KubeletFlow kubelet;
    private final TestImages images;

    public TimedPod(PrivateContainerd containerd, TestImages images) {
        this.containerd = containerd;
        this.kubelet = new KubeletFlow(containerd);
        this.images = images;
    }

    /** Runs pod {@code name} with CRI handler {@code handler}; returns milliseconds per phase. */
    public Map<PodPhase, Double> run(String name, String handler) throws IOException {
        Map<PodPhase, Double> millis = new EnumMap<>(PodPhase.class);
        PodSandboxConfig config = kubelet.sandboxConfig(name, Map.of());
        Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
        long t = System.nanoTime();
        String podId = containerd.cri().runtime(Duration.ofMinutes(2)).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        t = lap(millis, PodPhase.RUN_POD_SANDBOX, t);
        boolean removed = false;
        try {
            KubeletFlow.Pod pod = new KubeletFlow.Pod(podId, config, logDir);
            kubelet.pull(images.app());
            t = lap(millis, PodPhase.PULL_IMAGE, t);
            String app = kubelet.createContainer(pod, "app", images.app());
            t = lap(millis, PodPhase.CREATE_CONTAINER, t);
            kubelet.start(app);
            t = lap(millis, PodPhase.START_CONTAINER, t);
            awaitLine(logDir.resolve("app/0.log"), TestImages.APP_STARTED, Duration.ofSeconds(30));
            t = lap(millis, PodPhase.FIRST_LOG, t);
            containerd.cri().runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(app).setTimeout(10).build());
            t = lap(millis, PodPhase.STOP_CONTAINER, t);
            containerd.cri().runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(app).build());
            t = lap(millis, PodPhase.REMOVE_CONTAINER, t);
            containerd.cri().runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            t = lap(millis, PodPhase.STOP_POD_SANDBOX, t);
            containerd.cri().runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            lap(millis, PodPhase.REMOVE_POD_SANDBOX, t);
            removed = true;
        } finally {
            if (!removed) {
                removeQuietly(podId);
            }
        }
        return millis;
    }

    private void removeQuietly(String podId) {
        try {
            containerd.cri().runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            containerd.cri().runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        } catch (RuntimeException e) {
            System.err.println("demo: could not remove pod " + podId + " after a failure: " + e.getMessage());
        }
    }

    private static long lap(Map<PodPhase, Double> millis, PodPhase phase, long since) {
        long now = System.nanoTime();
        millis.put(phase, (now - since) / 1e6);
        return now;
    }

    /** Polls {@code file} (every 0.5 ms) until it holds a line containing {@code text}. */
    private static void awaitLine(Path file, String text, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && Files.readString(file).contains(text)) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(LOG_POLL_MICROS * 1000);
        }
        throw new IllegalStateException("no line \"" + text + "\" in " + file + " within " + limit);
    }
}
