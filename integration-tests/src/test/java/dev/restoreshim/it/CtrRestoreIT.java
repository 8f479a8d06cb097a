package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A {@code ctr}-driven restore, where containerd sets {@code CreateTaskRequest.checkpoint} (the
 * CRIU images it unpacked from a checkpoint image): the app runs under the stock runc shim
 * ({@code ctr run}), {@code ctr containers checkpoint --task --rw} writes a checkpoint image, and
 * {@code ctr containers restore --live --rw} restores it with runtime
 * {@code io.containerd.restore.v2}. ctr takes the runtime from the checkpoint image's index
 * annotation {@code io.containerd.checkpoint.runtime}, so the test re-imports the index with that
 * annotation naming restore-shim (and without the runc options). The restored app must go on
 * counting from the checkpoint with the same memory checksum (read from {@code /tmp/app.state}
 * through the task's rootfs), the daemon must log the restore as {@code origin=task_checkpoint}
 * and list it in {@code status}; nothing is left after removal.
 */
@ExtendWith(TestEnvironment.class)
class CtrRestoreIT {
    private static final Pattern TICK = Pattern.compile("app: tick (\\d+) sum ([0-9a-f]{16})");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String RUNTIME_ANNOTATION = "io.containerd.checkpoint.runtime";
    private static final String RUNTIME_OPTIONS_TYPE = "application/vnd.containerd.container.checkpoint.runtime.options+proto";

    @Test
    void ctrContainersRestore_live_restoresThroughTheCheckpointField() throws Exception {
        java.util.Set<Path> before = ctrCheckpointDirs();
        try (PrivateContainerd containerd = PrivateContainerd.start("CtrRestoreIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(4), () -> checkpointAndRestore(containerd),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        } finally {
            // containerd's tasks service unpacks a checkpoint for the task's checkpoint field into
            // $XDG_RUNTIME_DIR (else /tmp)/ctrd-checkpoint* and leaves it there after the restore;
            // containerd's, not the shim's, so the test removes what this run added
            for (Path dir : ctrCheckpointDirs()) {
                if (!before.contains(dir)) {
                    LocalRegistry.deleteTree(dir);
                }
            }
        }
    }

    private static java.util.Set<Path> ctrCheckpointDirs() throws IOException {
        try (var list = Files.list(Path.of("/tmp"))) {
            return list.filter(p -> p.getFileName().toString().startsWith("ctrd-checkpoint"))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    private static void checkpointAndRestore(PrivateContainerd containerd) throws Exception {
        String image = CheckpointedApp.image();
        ctr(containerd, Duration.ofMinutes(2), "images", "pull", "--plain-http", image);
        ctr(containerd, Duration.ofMinutes(1), "run", "-d", "--null-io", "--runtime", "io.containerd.runc.v2",
                "--runc-root", containerd.runcRoot().toString(), "--cgroup", containerd.cgroupParent() + "/ctr-src",
                image, "ctr-src");
        Path sourceState = rootfs(containerd, "ctr-src").resolve("tmp/app.state");
        awaitTick(sourceState, 3, Duration.ofSeconds(20));
        long before = tick(sourceState).tick();
        ctr(containerd, Duration.ofMinutes(2), "containers", "checkpoint", "--task", "--rw", "ctr-src", "rsit/ckpt:1");
        Tick after = tick(sourceState);
        removeTask(containerd, "ctr-src");

        importForRestoreShim(containerd, "rsit/ckpt:1", "rsit/ckpt-restore:1");
        HostCommand.Result restored = ctr(containerd, Duration.ofMinutes(2), "containers", "restore", "--live", "--rw",
                "ctr-restored", "rsit/ckpt-restore:1");
        System.out.println("ctr containers restore: " + restored);
        Path state = rootfs(containerd, "ctr-restored").resolve("tmp/app.state");
        Tick first = tick(state);
        assertTrue(first.tick() >= before, "the counter continues from the checkpoint (ticks " + before + ".."
                + after.tick() + " around it), restored tick " + first.tick());
        assertEquals(after.sum(), first.sum(), "memory checksum after restore");
        awaitTick(state, first.tick() + 2, Duration.ofSeconds(10));
        assertEquals(after.sum(), tick(state).sum());
        Path root = rootfs(containerd, "ctr-restored");
        assertEquals("written by app\n", Files.readString(root.resolve(CheckpointedApp.WRITTEN.substring(1))));
        assertFalse(Files.exists(root.resolve(CheckpointedApp.DELETED.substring(1))), "the deleted file stays deleted");

        String log = DaemonLogs.read(containerd);
        assertTrue(log.lines().anyMatch(l -> l.contains("event=restored") && l.contains("id=ctr-restored")
                && l.contains("origin=task_checkpoint")), "restored through the request's checkpoint field:\n" + log);
        boolean listed = false;
        for (JsonNode e : ShimCli.recentRestores(containerd)) {
            listed |= e.get("id").asString().equals("ctr-restored") && e.get("outcome").asString().equals("restored");
        }
        assertTrue(listed, "status lists the restore");

        removeTask(containerd, "ctr-restored");
        ctr(containerd, Duration.ofMinutes(1), "images", "rm", "rsit/ckpt:1", "rsit/ckpt-restore:1");
        LeakCheck.assertClean(containerd, List.of("ctr-src", "ctr-restored"));
    }

    /**
     * Copies the checkpoint index {@code from} into an OCI layout whose index is that index with the
     * runtime annotation set to restore-shim and the runc options left out, and imports it as {@code to}.
     */
    private static void importForRestoreShim(PrivateContainerd containerd, String from, String to) throws Exception {
        String digest = imageDigest(containerd, from);
        ObjectNode index = (ObjectNode) JSON.readTree(ctr(containerd, Duration.ofSeconds(30), "content", "get", digest).stdout());
        System.out.println("checkpoint index " + digest + ": " + index);
        ((ObjectNode) index.get("annotations")).put(RUNTIME_ANNOTATION, Handler.RESTORE_TTRPC.runtimeType());
        ArrayNode manifests = JSON.createArrayNode();
        ArchiveMembers layout = new ArchiveMembers(List.of(
                ArchiveMembers.Member.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8))));
        for (JsonNode m : index.get("manifests")) {
            if (m.get("mediaType").asString().equals(RUNTIME_OPTIONS_TYPE)) {
                continue;
            }
            manifests.add(m);
            String blob = m.get("digest").asString();
            byte[] data = ctrBytes(containerd, blob);
            layout = layout.plus(ArchiveMembers.Member.file("blobs/sha256/" + blob.substring("sha256:".length()), data));
        }
        index.set("manifests", manifests);
        byte[] indexBytes = JSON.writeValueAsBytes(index);
        String indexDigest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(indexBytes));
        layout = layout.plus(ArchiveMembers.Member.file("blobs/sha256/" + indexDigest, indexBytes),
                ArchiveMembers.Member.file("index.json", indexBytes));
        Path tar = layout.write(containerd.dir().resolve("ckpt-layout.tar"), ArchiveMembers.Compression.NONE);
        ctr(containerd, Duration.ofMinutes(1), "images", "import", "--no-unpack", "--all-platforms", "--local",
                "--index-name", to, tar.toString());
        System.out.println("images: " + ctr(containerd, Duration.ofSeconds(30), "images", "ls").stdout());
    }

    private static String imageDigest(PrivateContainerd containerd, String ref) {
        for (String line : ctr(containerd, Duration.ofSeconds(30), "images", "ls").stdout().lines().toList()) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length > 2 && cols[0].equals(ref)) {
                for (String c : cols) {
                    if (c.startsWith("sha256:")) {
                        return c;
                    }
                }
            }
        }
        throw new AssertionError("no image " + ref);
    }

    private static byte[] ctrBytes(PrivateContainerd containerd, String digest) throws IOException {
        Path out = containerd.dir().resolve("blob-" + digest.substring(7, 19));
        HostCommand.of("sh", "-c", "ctr --address \"$1\" --namespace \"$2\" content get \"$3\" > \"$4\"", "sh",
                containerd.socket().toString(), PrivateContainerd.CTR_NAMESPACE, digest, out.toString())
                .withTimeout(Duration.ofSeconds(30)).check();
        try {
            return Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void removeTask(PrivateContainerd containerd, String id) {
        containerd.ctr("tasks", "kill", "--signal", "SIGKILL", id).withTimeout(Duration.ofSeconds(20)).run();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!containerd.ctr("tasks", "delete", id).withTimeout(Duration.ofSeconds(20)).run().ok()
                && System.nanoTime() < deadline) {
            PodmanService.sleep(200);
        }
        ctr(containerd, Duration.ofSeconds(30), "containers", "delete", id);
    }

    private static Path rootfs(PrivateContainerd containerd, String id) {
        return containerd.state().resolve("io.containerd.runtime.v2.task").resolve(PrivateContainerd.CTR_NAMESPACE)
                .resolve(id).resolve("rootfs");
    }

    private record Tick(long tick, String sum) {
    }

    private static Tick tick(Path state) throws IOException {
        for (int i = 0; i < 50; i++) {
            Matcher m = TICK.matcher(Files.exists(state) ? Files.readString(state) : "");
            if (m.find()) {
                return new Tick(Long.parseLong(m.group(1)), m.group(2));
            }
            PodmanService.sleep(20); // between the app's truncate and write
        }
        throw new AssertionError("no tick in " + state);
    }

    private static void awaitTick(Path state, long atLeast, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(state) && tick(state).tick() >= atLeast) {
                return;
            }
            PodmanService.sleep(100);
        }
        throw new AssertionError("tick " + atLeast + " not reached in " + state);
    }

    private static HostCommand.Result ctr(PrivateContainerd containerd, Duration limit, String... args) {
        return containerd.ctr(args).withTimeout(limit).check();
    }
}
