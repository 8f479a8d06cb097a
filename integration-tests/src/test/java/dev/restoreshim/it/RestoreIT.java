package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.ContainerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * The restore path end to end, from one real containerd archive ({@link CheckpointedApp}: the app
 * checkpointed once under the stock runc handler, shared by every case of this class in one
 * containerd): a new pod with the {@code restore} handler and the pod annotation
 * {@code restore-shim.dev/checkpoint=<archive>} runs the app on from its checkpoint (counter,
 * memory checksum, written and deleted file), the staging tmpfs is gone after Start, and
 * {@code restore-shim status} lists the restore with its phase timings; the same archive restored
 * into three pods at once extracts its delta once; containerd's own CRI restore (image = archive
 * path, so the request's {@code checkpoint} field is set) restores too. Nothing is left after
 * removal ({@link LeakCheck}).
 */
@ExtendWith(TestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RestoreIT {
    private static final String ANNOTATION = "restore-shim.dev/checkpoint";

    private PrivateContainerd containerd;
    private KubeletFlow kubelet;
    private CheckpointedApp app;

    @BeforeAll
    void checkpoint() throws Exception {
        // /run's dirs on tmpfs as on a node, so that what reaches the disk is what a restore writes
        containerd = PrivateContainerd.startWithRunOnTmpfs("RestoreIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause());
        kubelet = new KubeletFlow(containerd);
        app = CheckpointedApp.checkpoint(containerd, "app-checkpoint");
        LeakCheck.assertClean(containerd, app.ids());
    }

    @AfterAll
    void stop() {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Test
    void annotation_restoresMemoryAndFiles_andStatusReportsThePhases() throws Exception {
        KubeletFlow.Pod pod = kubelet.runPod("dst", "restore", Map.of(ANNOTATION, app.archive().toString()));
        String id = kubelet.createContainer(pod, "app", CheckpointedApp.image());
        kubelet.start(id);
        kubelet.awaitState(id, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        List<Path> staging = HostScan.mountsUnder(containerd.shimState()).stream()
                .filter(m -> m.toString().contains("/restore/")).toList();
        assertEquals(List.of(), staging, "the staging tmpfs is gone once the restore returned");
        app.assertContinues(containerd, pod.logDir().resolve("app/0.log"), id);

        JsonNode entry = restoreEntry(id);
        assertEquals("restored", entry.get("outcome").asString(), entry.toString());
        assertEquals(app.archive().toString(), entry.get("source").asString(), entry.toString());
        long sum = 0;
        for (String phase : List.of("index", "delta", "mount", "stage", "create", "restore")) {
            JsonNode ms = entry.get("phase_ms").get(phase);
            assertTrue(ms != null && ms.asLong() >= 0, "phase " + phase + " in " + entry);
            sum += ms.asLong();
        }
        assertTrue(entry.get("phase_ms").get("restore").asLong() > 0, "runc restore takes time: " + entry);
        assertTrue(entry.get("total_ms").asLong() >= entry.get("phase_ms").get("restore").asLong()
                && entry.get("total_ms").asLong() <= sum + 5, "total covers the phases: " + entry);
        String table = ShimCli.status(containerd, false);
        assertTrue(table.contains("RECENT RESTORES") && table.contains(id) && table.contains("restore="), table);
        System.out.println("status:\n" + table);

        kubelet.remove(List.of(id), List.of(pod));
        LeakCheck.assertClean(containerd, List.of(pod.id(), id));
    }

    /**
     * Issue 3: a restore that finds its delta cached writes nothing to disk. What the node daemon
     * and every process it starts (runc, CRIU, the restored app) dirty is traced ({@link DirtyPages});
     * file system metadata (the overlay's work dir, runc's mount points in the rootfs) is what any
     * container start writes, file data would be the restore's own, except for the file the
     * restored app itself keeps rewriting.
     */
    @Test
    void cachedRestore_dirtiesNoFileData() throws Exception {
        List<KubeletFlow.Pod> pods = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try {
            KubeletFlow.Pod warm = kubelet.runPod("warm", "restore", Map.of(ANNOTATION, app.archive().toString()));
            pods.add(warm);
            ids.add(kubelet.createContainer(warm, "app", CheckpointedApp.image())); // caches the delta
            kubelet.start(ids.getFirst());
            kubelet.awaitState(ids.getFirst(), ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));

            KubeletFlow.Pod pod = kubelet.runPod("cached", "restore", Map.of(ANNOTATION, app.archive().toString()));
            pods.add(pod);
            RuntimeWrites writes = RuntimeWrites.start(containerd, pod.id(), true);
            String id = kubelet.createContainer(pod, "app", CheckpointedApp.image());
            ids.add(id);
            kubelet.start(id);
            kubelet.awaitState(id, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
            // the restored app itself rewrites /tmp/app.state every 100 ms: its own write, not the restore's
            RuntimeWrites.assertNoFileData(containerd, id, writes.bytes(), "/tmp/app.state");
            app.assertContinues(containerd, pod.logDir().resolve("app/0.log"), id);
        } finally {
            kubelet.remove(ids, pods);
        }
        List<String> all = new ArrayList<>(ids);
        pods.forEach(p -> all.add(p.id()));
        LeakCheck.assertClean(containerd, all);
    }

    @Test
    void threePodsAtOnce_extractTheDeltaOnce() throws Exception {
        Path archive = containerd.dir().resolve("three.tar");
        Files.copy(app.archive(), archive); // a new file: a cache key of its own
        Path cache = containerd.dir().resolve("shim/cache/deltas");
        long entriesBefore = cacheEntries(cache);
        long extractionsBefore = extractions();
        List<KubeletFlow.Pod> pods = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Object[]>> started = new ArrayList<>();
            for (String name : List.of("three-a", "three-b", "three-c")) {
                started.add(pool.submit(() -> {
                    KubeletFlow.Pod pod = kubelet.runPod(name, "restore", Map.of(ANNOTATION, archive.toString()));
                    String id = kubelet.createContainer(pod, "app", CheckpointedApp.image());
                    kubelet.start(id);
                    return new Object[] {pod, id};
                }));
            }
            for (Future<Object[]> f : started) {
                Object[] r = f.get(3, TimeUnit.MINUTES);
                pods.add((KubeletFlow.Pod) r[0]);
                ids.add((String) r[1]);
            }
        }
        for (int i = 0; i < 3; i++) {
            app.assertContinues(containerd, pods.get(i).logDir().resolve("app/0.log"), ids.get(i));
        }
        assertEquals(entriesBefore + 1, cacheEntries(cache), "one cache entry for three restores of one archive");
        assertEquals(extractionsBefore + 1, extractions(), "one delta extraction for three restores of one archive");
        for (String id : ids) {
            assertEquals("restored", restoreEntry(id).get("outcome").asString());
        }
        kubelet.remove(ids, pods);
        List<String> all = new ArrayList<>(ids);
        pods.forEach(p -> all.add(p.id()));
        LeakCheck.assertClean(containerd, all);
    }

    @Test
    void criRestore_imageIsTheArchive_setsTheCheckpointField() throws Exception {
        KubeletFlow.Pod pod = kubelet.runPod("cri", "restore", Map.of());
        String id = kubelet.createContainer(pod, "app", app.archive().toString());
        kubelet.start(id);
        app.assertContinues(containerd, pod.logDir().resolve("app/0.log"), id);
        assertEquals("restored", restoreEntry(id).get("outcome").asString());
        kubelet.remove(List.of(id), List.of(pod));
        LeakCheck.assertClean(containerd, List.of(pod.id(), id));
    }

    /** The status --json entry of the restore of task {@code id}. */
    private JsonNode restoreEntry(String id) {
        JsonNode restores = ShimCli.recentRestores(containerd);
        for (JsonNode e : restores) {
            if (e.get("id").asString().equals(id)) {
                return e;
            }
        }
        throw new AssertionError("no recent restore of " + id + " in " + restores);
    }

    private static long cacheEntries(Path cache) throws IOException {
        try (Stream<Path> entries = Files.list(cache)) {
            return entries.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    /** "delta extracted" lines in the daemon logs of this instance. */
    private long extractions() throws IOException {
        return DaemonLogs.read(containerd).lines().filter(l -> l.contains("msg=\"delta extracted\"")).count();
    }
}
