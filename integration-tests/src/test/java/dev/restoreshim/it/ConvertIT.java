package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.CheckpointContainerRequest;
import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.ExecSyncRequest;
import dev.restoreshim.proto.cri.ExecSyncResponse;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.StopContainerRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code restore-shim convert} on a real containerd checkpoint archive (the app checkpointed
 * through CRI with the stock runc handler): {@code --push} to the loopback registry must reuse the
 * base image's layers by digest (no upload of them in the registry's log), give base + 2 layers
 * (gzip delta, uncompressed checkpoint layer), our annotations and none of the stock checkpoint
 * ones, and a config running the checkpointed command; containerd pulls it through CRI and, with
 * the stock runc handler, cold-starts the app on the delta (the written file is there, the deleted
 * one is not). {@code --oci-layout} then {@code skopeo copy --preserve-digests} gives the same
 * manifest in the registry.
 */
@ExtendWith(TestEnvironment.class)
class ConvertIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void containerdArchive_convertedAndPushed_isAPullableImageReusingTheBaseLayers() throws Exception {
        TestImages images = TestEnvironment.images();
        Path jar = TestEnvironment.repoDir().resolve("shim/target/restore-shim.jar");
        assertTrue(Files.isRegularFile(jar), "run `mvn package` in shim first: no " + jar);
        LocalRegistry registry = TestEnvironment.shared().registry();
        try (PrivateContainerd containerd = PrivateContainerd.start("ConvertIT", Handler.RUNC, registry.host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(5), () -> run(containerd, images, registry, jar),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void run(PrivateContainerd containerd, TestImages images, LocalRegistry registry, Path jar) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        KubeletFlow.Pod source = kubelet.runPod("src");
        String app = kubelet.createContainer(source, "app", images.app());
        kubelet.start(app);
        kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        KubeletFlow.awaitFile(source.logDir().resolve("app/0.log"), s -> s.contains("app: tick 1"), Duration.ofSeconds(20));
        ExecSyncResponse changed = exec(containerd, app, "echo kept > /tmp/written && rm /etc/rsit-release");
        assertEquals(0, changed.getExitCode(), changed.getStderr().toStringUtf8());
        Path archive = containerd.dir().resolve("app-checkpoint.tar");
        containerd.cri().runtime(Duration.ofMinutes(2)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                .setContainerId(app).setLocation(archive.toString()).build());

        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String pushed = registry.host() + "/rsit/app-restore:1";
        long t0 = System.nanoTime();
        HostCommand.Result convert = HostCommand.of(javaBin, "-jar", jar.toString(), "convert", archive.toString(),
                "--push", pushed, "--plain-http").withTimeout(Duration.ofSeconds(120)).run();
        long convertMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, convert.exitCode(), convert.stderr());
        assertTrue(convert.stdout().startsWith(pushed + "@sha256:"), convert.stdout());

        JsonNode base = JSON.readTree(skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + images.app()));
        byte[] rawManifest = skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + pushed).getBytes(StandardCharsets.UTF_8);
        JsonNode manifest = JSON.readTree(rawManifest);
        assertTrue(convert.stdout().contains(sha256(rawManifest)), "the printed digest is the pushed manifest's");
        JsonNode baseLayers = base.path("layers");
        JsonNode layers = manifest.path("layers");
        assertEquals(baseLayers.size() + 2, layers.size(), manifest.toString());
        // the registry's own request log, restricted to the pushed repository (buildah pushed the base before)
        List<String> ours = registry.logs().lines().filter(l -> l.contains("/v2/rsit/app-restore/blobs/uploads/")).toList();
        for (int i = 0; i < baseLayers.size(); i++) {
            String digest = baseLayers.get(i).path("digest").asString();
            String encoded = digest.replace(":", "%3A");
            assertEquals(digest, layers.get(i).path("digest").asString(), "base layer " + i + " reused by digest");
            assertFalse(ours.stream().anyMatch(l -> l.contains("digest=" + encoded) || l.contains("digest=" + digest)),
                    "base layer " + digest + " was uploaded again:\n" + String.join("\n", ours));
            assertTrue(ours.stream().anyMatch(l -> l.contains("mount=" + encoded) && l.contains("from=rsit%2Fapp")),
                    "base layer " + digest + " mounted from rsit/app:\n" + String.join("\n", ours));
        }
        assertTrue(convert.stdout().contains("MOUNTED=" + baseLayers.size()), convert.stdout());
        assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", layers.get(layers.size() - 2).path("mediaType").asString());
        assertEquals("application/vnd.oci.image.layer.v1.tar", layers.get(layers.size() - 1).path("mediaType").asString());
        JsonNode annotations = manifest.path("annotations");
        assertEquals("1", annotations.path("dev.restoreshim.restore-image.version").asString());
        assertEquals("app", annotations.path("dev.restoreshim.checkpoint.container-name").asString());
        // containerd records the pulled image's repo digest in config.dump rootfsImageRef: the exact base
        String baseRef = annotations.path("dev.restoreshim.checkpoint.base-image").asString();
        assertTrue(baseRef.equals(images.app()) || baseRef.startsWith(registry.host() + "/rsit/app@sha256:"), baseRef);
        assertTrue(annotations.path("dev.restoreshim.checkpoint.criu-version").asString().matches("\\d+\\.\\d+.*"), annotations.toString());
        assertTrue(annotations.path("dev.restoreshim.checkpoint.metadata-digest").asString().startsWith("sha256:"));
        assertFalse(annotations.has("org.criu.checkpoint.container.name"));
        assertFalse(annotations.has("io.kubernetes.cri-o.annotations.checkpoint.name"));

        JsonNode config = JSON.readTree(skopeo("inspect", "--config", "--tls-verify=false", "docker://" + pushed));
        assertTrue(config.path("config").path("Entrypoint").isNull() || config.path("config").path("Entrypoint").isMissingNode());
        assertEquals(List.of("/app.sh"), strings(config.path("config").path("Cmd")));
        assertTrue(strings(config.path("config").path("Env")).contains("PATH=/bin"), config.toString());
        assertEquals(layers.size(), config.path("rootfs").path("diff_ids").size());

        // a node without restore-shim: containerd pulls it through CRI and runc cold-starts it on the delta
        kubelet.pull(pushed);
        KubeletFlow.Pod cold = kubelet.runPod("cold");
        String started = kubelet.createContainer(cold, "app", pushed);
        kubelet.start(started);
        kubelet.awaitState(started, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        KubeletFlow.awaitFile(cold.logDir().resolve("app/0.log"), s -> s.contains(TestImages.APP_STARTED), Duration.ofSeconds(20));
        ExecSyncResponse delta = exec(containerd, started, "cat /tmp/written && test ! -e /etc/rsit-release"
                + " && test -f /.restore-shim/restore.json && test -f /.restore-shim/checkpoint/inventory.img");
        assertEquals(0, delta.getExitCode(), delta.getStdout().toStringUtf8() + delta.getStderr().toStringUtf8());
        assertEquals("kept\n", delta.getStdout().toStringUtf8());

        // the same image as an OCI layout, copied to the registry by skopeo without changes
        Path layout = containerd.dir().resolve("layout");
        HostCommand.Result toLayout = HostCommand.of(javaBin, "-jar", jar.toString(), "convert", archive.toString(),
                "--oci-layout", layout.toString(), "--tag", "ckpt", "--plain-http").withTimeout(Duration.ofSeconds(120)).run();
        assertEquals(0, toLayout.exitCode(), toLayout.stderr());
        String copied = registry.host() + "/rsit/app-layout:1";
        HostCommand.of("skopeo", "copy", "--preserve-digests", "--dest-tls-verify=false", "oci:" + layout + ":ckpt",
                "docker://" + copied).withTimeout(Duration.ofSeconds(120)).check();
        byte[] copiedManifest = skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + copied).getBytes(StandardCharsets.UTF_8);
        assertEquals(sha256(rawManifest), sha256(copiedManifest), "layout and push give the same image");

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        List<String> ids = new ArrayList<>();
        for (String id : List.of(started, app)) {
            runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
            ids.add(id);
        }
        for (KubeletFlow.Pod pod : List.of(cold, source)) {
            runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            ids.add(pod.id());
        }
        LeakCheck.assertClean(containerd, ids);
        System.out.printf("convert_it convert_ms=%d archive_bytes=%d layers=%d stdout=%s%n", convertMs, Files.size(archive),
                layers.size(), convert.stdout().strip());
    }

    private static ExecSyncResponse exec(PrivateContainerd containerd, String id, String script) {
        return containerd.cri().runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
                .addAllCmd(List.of("/bin/sh", "-c", script)).setTimeout(10).build());
    }

    private static String skopeo(String... args) {
        List<String> argv = new ArrayList<>(List.of("skopeo"));
        argv.addAll(List.of(args));
        return HostCommand.of(argv).withTimeout(Duration.ofSeconds(60)).check().stdout();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    private static String sha256(byte[] data) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
