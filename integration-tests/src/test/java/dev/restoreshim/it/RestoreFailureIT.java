package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Restores that must fail: broken archives made from one real containerd checkpoint
 * ({@link CheckpointedApp}, {@link BadArchives}) restored through the pod annotation, each a
 * StartContainer error (where CRI creates the task) naming the archive and the reason, listed as
 * failed by {@code restore-shim status}, leaving no process, mount, staging tmpfs, task state or
 * half-written cache entry ({@link LeakCheck}, the cache dir). The tmpfs cap cases run in a second
 * containerd whose handler config sets {@code restore.tmpfs_size_limit = "1M"} and
 * {@code restore.images = "tmpfs"} (by default an uncompressed archive is read in place from EROFS,
 * with no tmpfs and no cap).
 */
@ExtendWith(TestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RestoreFailureIT {
    private static final String ANNOTATION = "restore-shim.dev/checkpoint";

    private PrivateContainerd containerd;
    private CheckpointedApp app;
    private BadArchives bad;
    private final List<String> failedIds = new ArrayList<>();

    /** One broken archive: how to make it, what the error must say, whether its delta may be cached (it is valid). */
    record Case(String name, Maker maker, List<String> expected, boolean deltaValid, String image) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Maker {
        Path make(BadArchives bad) throws Exception;
    }

    @BeforeAll
    void checkpoint() throws Exception {
        containerd = PrivateContainerd.start("RestoreFailureIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause());
        app = CheckpointedApp.checkpoint(containerd, "good");
        bad = new BadArchives(app.archive(), containerd.dir());
    }

    @AfterAll
    void stop() {
        if (containerd != null) {
            containerd.close();
        }
    }

    static Stream<Arguments> cases() throws Exception {
        String app = CheckpointedApp.image();
        return Stream.of(
                new Case("corrupt-header", BadArchives::corruptHeader, List.of("not a tar header"), false, app),
                new Case("corrupt-gzip", BadArchives::corruptGzip, List.of("read failed"), false, app),
                new Case("truncated", BadArchives::truncated, List.of("truncated"), false, app),
                new Case("dotdot", BadArchives::dotDot, List.of("../rsit-escape", "\"..\" component"), false, app),
                new Case("absolute-delta", BadArchives::absoluteInDelta, List.of("rootfs-diff.tar", "/etc/rsit-absolute", "absolute path"), false, app),
                new Case("symlink-delta", BadArchives::symlinkEscapeInDelta, List.of("rootfs-diff.tar", "etc/rsit-up", "symlink"), false, app),
                new Case("device-delta", BadArchives::deviceInDelta, List.of("rootfs-diff.tar", "etc/rsit-null", "device node 1:3"), false, app),
                new Case("no-inventory", BadArchives::withoutInventory, List.of("no checkpoint/inventory.img"), false, app),
                new Case("corrupt-core", BadArchives::corruptCoreImage, List.of("restore.log: ", "Head magic doesn't match for core-"), true, app),
                // the checkpoint on another image (the pause image lacks /app, which the process runs): CRIU fails
                new Case("wrong-image", b -> b.gzipped(), List.of("restore.log: ", "Can't open file app"), true, TestEnvironment.images().pause())
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @Order(1)
    void brokenArchive_failsNamingFileAndReason_leavesNothing(Case c) throws Exception {
        Path archive = c.maker().make(bad);
        Path cache = containerd.dir().resolve("shim/cache/deltas");
        List<String> before = BadArchives.cacheNames(cache);
        StatusRuntimeException e = refusedRestore(containerd, c.name(), archive, c.image());
        if (!c.deltaValid()) { // refused before CRIU ran: the shim's own code reaches CRI (a CRIU failure is UNKNOWN, as with runc's shim)
            assertNotEquals(Status.Code.UNKNOWN, e.getStatus().getCode(), e.getStatus().toString());
        }
        assertFalse(Files.exists(BadArchives.ESCAPED), "extraction followed a symlink out of the layer: " + BadArchives.ESCAPED);
        String message = String.valueOf(e.getStatus().getDescription());
        System.out.println(c.name() + ": " + e.getStatus());
        assertTrue(message.contains(archive.toString()), "the error names the archive: " + e.getStatus());
        for (String part : c.expected()) {
            assertTrue(message.contains(part), "the error says \"" + part + "\": " + e.getStatus());
        }
        List<String> after = BadArchives.cacheNames(cache);
        assertTrue(after.stream().noneMatch(n -> n.startsWith(".tmp-") || n.startsWith(".del-")), "half-written cache entries: " + after);
        if (!c.deltaValid()) {
            assertEquals(before, after, "a refused delta leaves no cache entry");
        }
    }

    @Test
    @Order(2)
    void imagesOverTheTmpfsCap_failAtIndexOrWhileStaging_leaveNothing() throws Exception {
        try (PrivateContainerd capped = PrivateContainerd.start("RestoreFailureIT-cap", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause())) {
            Path config = capped.dir().resolve("shim/config.toml");
            Files.writeString(config, Files.readString(config).replace("[restore]\n", "[restore]\nimages = \"tmpfs\"\ntmpfs_size_limit = \"1M\"\n"));
            new KubeletFlow(capped).pull(CheckpointedApp.image());
            for (Path archive : List.of(app.archive(), bad.gzipped())) {
                StatusRuntimeException e = refusedRestore(capped, "cap-" + (archive.toString().endsWith(".gz") ? "gz" : "tar"),
                        archive, CheckpointedApp.image());
                System.out.println("over the cap, " + archive.getFileName() + ": " + e.getStatus());
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
                String message = String.valueOf(e.getStatus().getDescription());
                assertTrue(message.contains(archive.toString()) && message.contains("tmpfs_size_limit")
                        && message.contains("1048576"), "names the archive, the cap and its setting: " + e.getStatus());
            }
        }
    }

    /** Every failure is in {@code status --json} as failed, with its error. Runs last. */
    @Test
    @Order(3)
    void statusListsTheFailures() {
        assertFalse(failedIds.isEmpty(), "the broken-archive cases ran first");
        JsonNode restores = ShimCli.recentRestores(containerd);
        for (String id : failedIds) {
            JsonNode entry = null;
            for (JsonNode r : restores) {
                if (r.get("id").asString().equals(id)) {
                    entry = r;
                }
            }
            assertTrue(entry != null, "restore " + id + " in " + restores);
            assertEquals("failed", entry.get("outcome").asString(), entry.toString());
            assertTrue(!entry.get("error").asString().isEmpty(), entry.toString());
        }
    }

    /** A pod with the annotation naming {@code archive}: StartContainer must fail; then everything is removed and checked. */
    private StatusRuntimeException refusedRestore(PrivateContainerd instance, String name, Path archive, String image)
            throws Exception {
        KubeletFlow kubelet = new KubeletFlow(instance);
        KubeletFlow.Pod pod = kubelet.runPod(name, "restore", Map.of(ANNOTATION, archive.toString()));
        String id = kubelet.createContainer(pod, "app", image);
        StatusRuntimeException e;
        try {
            e = assertThrows(StatusRuntimeException.class, () -> kubelet.start(id), "restore from " + archive + " must fail");
        } finally {
            kubelet.remove(List.of(id), List.of(pod)); // also when it wrongly started
        }
        if (instance == containerd) {
            failedIds.add(id);
        }
        LeakCheck.assertClean(instance, List.of(pod.id(), id));
        return e;
    }
}
