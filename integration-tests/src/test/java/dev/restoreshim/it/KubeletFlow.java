package dev.restoreshim.it;

import dev.restoreshim.proto.cri.ContainerConfig;
import dev.restoreshim.proto.cri.ContainerMetadata;
import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.ContainerStatus;
import dev.restoreshim.proto.cri.ContainerStatusRequest;
import dev.restoreshim.proto.cri.CreateContainerRequest;
import dev.restoreshim.proto.cri.ImageSpec;
import dev.restoreshim.proto.cri.LinuxContainerConfig;
import dev.restoreshim.proto.cri.LinuxContainerSecurityContext;
import dev.restoreshim.proto.cri.LinuxPodSandboxConfig;
import dev.restoreshim.proto.cri.LinuxSandboxSecurityContext;
import dev.restoreshim.proto.cri.NamespaceMode;
import dev.restoreshim.proto.cri.NamespaceOption;
import dev.restoreshim.proto.cri.PodSandboxConfig;
import dev.restoreshim.proto.cri.PodSandboxMetadata;
import dev.restoreshim.proto.cri.PullImageRequest;
import dev.restoreshim.proto.cri.RunPodSandboxRequest;
import dev.restoreshim.proto.cri.StartContainerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The CRI calls the kubelet makes for a pod, with the configs it would send: node network, a PID
 * namespace per container, the instance's cgroup parent and a pod log dir.
 */
public final class KubeletFlow {

    private final PrivateContainerd containerd;
    private final CriClient cri;

    public KubeletFlow(PrivateContainerd containerd) {
        this.containerd = containerd;
        this.cri = containerd.cri();
    }

    /** A running pod: its sandbox id and config. */
    public record Pod(String id, PodSandboxConfig config, Path logDir) {
    }

    /** PullImage, returning the image ref containerd reports. */
    public String pull(String image) {
        return cri.images().pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(image)).build()).getImageRef();
    }

    /** The sandbox config the kubelet would send for a host-network pod named {@code name}. */
    public PodSandboxConfig sandboxConfig(String name, java.util.Map<String, String> annotations) {
        NamespaceOption namespaces = NamespaceOption.newBuilder()
                .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD).build();
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("rsit")
                        .setUid(UUID.randomUUID().toString()).setAttempt(0))
                .setLogDirectory(containerd.podLogs().resolve(name).toString())
                .putLabels("rsit-test", name)
                .putAllAnnotations(annotations)
                .setLinux(LinuxPodSandboxConfig.newBuilder()
                        .setCgroupParent(containerd.cgroupParent())
                        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(namespaces)))
                .build();
    }

    /** RunPodSandbox with the instance's handler. */
    public Pod runPod(String name) throws IOException {
        PodSandboxConfig config = sandboxConfig(name, java.util.Map.of());
        Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
        String id = cri.runtime(Duration.ofMinutes(2)).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(containerd.handler().criName()).build()).getPodSandboxId();
        return new Pod(id, config, logDir);
    }

    /** RunPodSandbox with {@code handler} and pod {@code annotations}. */
    public Pod runPod(String name, String handler, java.util.Map<String, String> annotations) throws IOException {
        PodSandboxConfig config = sandboxConfig(name, annotations);
        Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
        String id = cri.runtime(Duration.ofMinutes(2)).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new Pod(id, config, logDir);
    }

    /** StopContainer and RemoveContainer for each of {@code containerIds}, then StopPodSandbox and RemovePodSandbox for each pod. */
    public void remove(java.util.List<String> containerIds, java.util.List<Pod> pods) {
        for (String id : containerIds) {
            cri.runtime(Duration.ofMinutes(1)).stopContainer(dev.restoreshim.proto.cri.StopContainerRequest.newBuilder()
                    .setContainerId(id).setTimeout(5).build());
            cri.runtime(Duration.ofMinutes(1)).removeContainer(dev.restoreshim.proto.cri.RemoveContainerRequest.newBuilder()
                    .setContainerId(id).build());
        }
        for (Pod pod : pods) {
            cri.runtime(Duration.ofMinutes(1)).stopPodSandbox(dev.restoreshim.proto.cri.StopPodSandboxRequest.newBuilder()
                    .setPodSandboxId(pod.id()).build());
            cri.runtime(Duration.ofMinutes(1)).removePodSandbox(dev.restoreshim.proto.cri.RemovePodSandboxRequest.newBuilder()
                    .setPodSandboxId(pod.id()).build());
        }
    }

    /** CreateContainer for the app image; its log goes to {@code <pod log dir>/<name>/0.log}. */
    public String createContainer(Pod pod, String name, String image) {
        ContainerConfig config = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name).setAttempt(0))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .setLogPath(name + "/0.log")
                .putLabels("rsit-container", name)
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder()
                                .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD))))
                .build();
        return cri.runtime(Duration.ofMinutes(2)).createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(pod.id()).setConfig(config).setSandboxConfig(pod.config()).build()).getContainerId();
    }

    /**
     * CheckpointContainer to {@code archive}. runc on the cgroup v1 freezer gives up ("unable to
     * freeze") when the machine is very busy; the container keeps running then, so up to two more
     * attempts are made for that error alone.
     */
    public void checkpoint(String containerId, Path archive) {
        for (int attempt = 1;; attempt++) {
            try {
                cri.runtime(Duration.ofMinutes(2)).checkpointContainer(dev.restoreshim.proto.cri.CheckpointContainerRequest
                        .newBuilder().setContainerId(containerId).setLocation(archive.toString()).build());
                return;
            } catch (io.grpc.StatusRuntimeException e) {
                if (attempt == 3 || !String.valueOf(e.getStatus().getDescription()).contains("unable to freeze")) {
                    throw e;
                }
                System.out.println("checkpoint attempt " + attempt + ": " + e.getStatus() + "; retrying");
            }
        }
    }

    /** StartContainer. */
    public void start(String containerId) {
        cri.runtime(Duration.ofMinutes(2)).startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());
    }

    /** ContainerStatus. */
    public ContainerStatus status(String containerId) {
        return cri.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(containerId).build()).getStatus();
    }

    /** Polls ContainerStatus until it reaches {@code state}; throws with the last status otherwise. */
    public ContainerStatus awaitState(String containerId, ContainerState state, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        ContainerStatus last = status(containerId);
        while (last.getState() != state && System.nanoTime() < deadline) {
            PodmanService.sleep(100);
            last = status(containerId);
        }
        if (last.getState() != state) {
            throw new AssertionError("container " + containerId + " did not reach " + state + " within " + limit + ": " + last);
        }
        return last;
    }

    /** Polls a file until its content satisfies {@code test}; returns the content. */
    public static String awaitFile(Path file, Predicate<String> test, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        String content = "";
        while (System.nanoTime() < deadline) {
            content = Files.exists(file) ? Files.readString(file) : "";
            if (test.test(content)) {
                return content;
            }
            PodmanService.sleep(100);
        }
        throw new AssertionError("file " + file + " did not reach the expected content within " + limit + "; content:\n" + content);
    }
}
