package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.CheckpointContainerRequest;
import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.PodSandboxConfig;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.RunPodSandboxRequest;
import dev.restoreshim.proto.cri.StopContainerRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * CRIU options end to end (docs/criu.md). The restore handler's config has a {@code [criu]} table
 * allowing {@code tcp-established} and {@code file-locks}, a key directory and a {@code tls-key}
 * default, and names a stand-in CRIU: a script called {@code criu} that records each call and the
 * CRIU config file runc hands over (it finds it through the {@code org.criu.config} annotation of
 * the bundle runc restores) and then runs the real CRIU. runc runs {@code criu} from its PATH, and
 * the shim puts the configured binary's directory first on it.
 * <ul>
 *   <li>a pod with {@code restore-shim.dev/criu-ext-unix-sk} (not allowed) fails at Start
 *       (where CRI creates the task) with INVALID_ARGUMENT naming the annotation and the allow-list;</li>
 *   <li>the checkpoint archive with a {@code checkpoint/cipher.img} added fails with
 *       FAILED_PRECONDITION saying the installed CRIU cannot decrypt, and nothing is mounted;</li>
 *   <li>a pod with {@code criu-tcp-established} and {@code criu-file-locks} restores; CRIU's
 *       restore.log shows it parsed the per-restore config file and restores TCP connections,
 *       the file holds both options and the key path, and the key's content appears in no file of
 *       the instance (no copy, no log line) and its path in no daemon log.</li>
 * </ul>
 */
@ExtendWith(TestEnvironment.class)
class CriuOptionsIT {
    @Test
    void criuOptions_fromAnnotations_reachCriu_refusalsAndEncryptionFailCleanly() throws Exception {
        TestImages images = TestEnvironment.images();
        Path work = Files.createTempDirectory(Path.of("/tmp"), "rsit-criu-");
        try {
            Path keys = Files.createDirectories(work.resolve("keys"));
            String secret = "KEY-MATERIAL-" + UUID.randomUUID();
            Path key = Files.writeString(keys.resolve("criu.key"), secret + "\n");
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            Path records = Files.createDirectories(work.resolve("records"));
            Path standIn = standInCriu(work.resolve("standin"), records);
            String criuToml = """
                    [criu]
                    binary = "%s"
                    allow = ["tcp-established", "file-locks", "lazy-pages"]
                    key_dirs = ["%s"]

                    [criu.defaults]
                    tls-key = "%s"
                    """.formatted(standIn, keys, key);
            try (PrivateContainerd containerd = PrivateContainerd.start("CriuOptionsIT", Handler.RESTORE_TTRPC,
                    TestEnvironment.shared().registry().host(), images.pause(), criuToml)) {
                assertTimeoutPreemptively(Duration.ofMinutes(5),
                        () -> run(containerd, images, key, secret, records, work),
                        () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
            }
            // the node daemon's stop took the bind of CRIU's kernel-probe cache with it (docs/criu.md)
            assertEquals(List.of(), HostScan.mountsUnder(Path.of("/run/criu.kdat")), "no kdat cache bind left");
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Issue 5's lazy restore, at {@code it.lazy.mib} MiB (default 2048, the issue's size; see
     * docs/criu.md): the bench app's archive is mounted in place as EROFS and the lazy-pages
     * daemon serves the pages straight from that mount. Start returns while pages are still
     * being served, the app goes on ticking, every tick the restored app prints (a word of its
     * memory, at a position that moves with the tick) equals what the still-running source printed
     * for the same tick, and once every page is served the checksum over all of its memory
     * (printed on SIGUSR1) equals the one the source printed after filling. Nothing was staged in
     * tmpfs, and the EROFS mount is gone after every page was served.
     */
    @Test
    void lazyRestore_fromErofs_resumesAndItsMemoryChecksumMatchesTheSource() throws Exception {
        TestImages images = TestEnvironment.images();
        BenchImage bench = BenchImage.buildAndPush(TestEnvironment.shared().registry());
        int mib = Integer.getInteger("it.lazy.mib", 2048);
        String criuToml = """
                [criu]
                allow = ["lazy-pages"]
                """;
        try (PrivateContainerd containerd = PrivateContainerd.start("CriuOptionsIT-lazy", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), images.pause(), criuToml)) {
            assertTimeoutPreemptively(Duration.ofMinutes(10), () -> lazyRestore(containerd, images, bench, mib),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    /**
     * Issue 5's {@code auto-dedup}, on real CRIU, set by pod annotation: the bench app (64 MiB)
     * checkpointed once and restored three ways with {@code restore-shim.dev/criu-auto-dedup}:
     * <ul>
     *   <li>from a zstd copy of the archive (images streamed into this restore's own staging
     *       tmpfs): CRIU punches every restored page out, so the tmpfs holds a fraction of what
     *       was staged when the restore returns ({@code tmpfs_left_bytes} against
     *       {@code staged_bytes});</li>
     *   <li>from the uncompressed archive (mounted in place as EROFS) and from a directory of its
     *       images: the option is dropped ({@code event=criu_option_dropped}), since CRIU would
     *       open the shared images for writing and punch them out; the archive and every image
     *       file of the directory are byte for byte unchanged afterwards.</li>
     * </ul>
     * Every restored app continues (memory words of each tick equal the source's).
     */
    @Test
    void autoDedup_punchesOnlyTheRestoresOwnCopy_sharedImagesStayIntact() throws Exception {
        TestImages images = TestEnvironment.images();
        BenchImage bench = BenchImage.buildAndPush(TestEnvironment.shared().registry());
        String criuToml = """
                [criu]
                allow = ["auto-dedup"]
                """;
        try (PrivateContainerd containerd = PrivateContainerd.start("CriuOptionsIT-dedup", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), images.pause(), criuToml)) {
            assertTimeoutPreemptively(Duration.ofMinutes(5), () -> autoDedup(containerd, images, bench, 64),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    /** The bench app running in a runc pod, checkpointed through CRI into {@code <name>-checkpoint.tar}. */
    private record Checkpointed(KubeletFlow kubelet, KubeletFlow.Pod source, String app, Path sourceLog, Path archive) {
    }

    /**
     * Pulls the pause and bench images, runs the bench app filling {@code mib} MiB in pod
     * {@code <name>-src} (stock runc), waits until it ticks, and checkpoints it (it keeps running).
     */
    private static Checkpointed checkpointBenchApp(PrivateContainerd containerd, TestImages images, BenchImage bench,
                                                   int mib, String name) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(bench.ref());
        KubeletFlow.Pod source = runPod(containerd, kubelet, name + "-src", "runc", Map.of());
        String app = createWithSize(containerd, source, bench.ref(), mib);
        kubelet.start(app);
        Path sourceLog = source.logDir().resolve("app/0.log");
        KubeletFlow.awaitFile(sourceLog, s -> s.contains(BenchImage.FILLED) && s.contains("bench: tick 2 "),
                Duration.ofMinutes(5));
        Path archive = containerd.dir().resolve(name + "-checkpoint.tar");
        containerd.cri().runtime(Duration.ofMinutes(5)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                .setContainerId(app).setLocation(archive.toString()).build());
        return new Checkpointed(kubelet, source, app, sourceLog, archive);
    }

    private static void autoDedup(PrivateContainerd containerd, TestImages images, BenchImage bench, int mib)
            throws Exception {
        Checkpointed cp = checkpointBenchApp(containerd, images, bench, mib, "dedup");
        KubeletFlow kubelet = cp.kubelet();
        KubeletFlow.Pod source = cp.source();
        String app = cp.app();
        Path sourceLog = cp.sourceLog();
        Path archive = cp.archive();
        Path compressed = containerd.dir().resolve("dedup-checkpoint.tar.zst");
        HostCommand.of("zstd", "-q", "-1", archive.toString(), "-o", compressed.toString())
                .withTimeout(Duration.ofMinutes(1)).run().orThrow();
        Path extracted = Files.createDirectories(containerd.dir().resolve("dedup-images"));
        HostCommand.of("tar", "-xf", archive.toString(), "-C", extracted.toString(), "checkpoint")
                .withTimeout(Duration.ofMinutes(1)).run().orThrow();
        Path imagesDir = extracted.resolve("checkpoint");
        Map<String, String> imagesBefore = digests(imagesDir);
        String archiveBefore = RestoreImages.sha256(archive);

        Map<Long, String> sourceTicks = ticks(Files.readString(sourceLog));
        List<KubeletFlow.Pod> pods = new ArrayList<>(List.of(source));
        List<String> containers = new ArrayList<>(List.of(app));
        Map<String, String> restoredLines = new java.util.LinkedHashMap<>();
        for (Path checkpoint : List.of(compressed, archive, imagesDir)) {
            String name = checkpoint.equals(compressed) ? "zstd" : checkpoint.equals(archive) ? "erofs" : "dir";
            KubeletFlow.Pod pod = runPod(containerd, kubelet, "dedup-" + name, "restore", Map.of(
                    "restore-shim.dev/checkpoint", checkpoint.toString(), "restore-shim.dev/criu-auto-dedup", "true"));
            pods.add(pod);
            String id = createWithSize(containerd, pod, bench.ref(), mib);
            containers.add(id);
            kubelet.start(id);
            Path log = pod.logDir().resolve("app/0.log");
            KubeletFlow.awaitFile(log, s -> s.contains("bench: tick"), Duration.ofSeconds(30));
            Thread.sleep(500); // a few ticks to compare
            String content = Files.readString(log);
            assertFalse(content.contains(BenchImage.FILLED), name + ": restored, not filled again:\n" + content);
            Map<Long, String> after = ticks(content);
            List<Long> common = after.keySet().stream().filter(sourceTicks::containsKey).toList();
            for (long tick : common) {
                assertEquals(sourceTicks.get(tick), after.get(tick), name + ": memory word of tick " + tick);
            }
            restoredLines.put(name, awaitDaemonLog(containerd, "id=" + id + " ", "event=restored ",
                    Duration.ofSeconds(30)));
            String dropped = name.equals("zstd") ? "" : awaitDaemonLog(containerd, "id=" + id + " ",
                    "event=criu_option_dropped", Duration.ofSeconds(5));
            System.out.printf("auto-dedup from %s: %s%n  %s%n", name, restoredLines.get(name).strip(), dropped.strip());
            if (!name.equals("zstd")) {
                assertTrue(dropped.contains("option=auto-dedup"), name + ": " + dropped);
            }
        }
        long staged = field(restoredLines.get("zstd"), "staged_bytes");
        long left = field(restoredLines.get("zstd"), "tmpfs_left_bytes");
        assertTrue(restoredLines.get("zstd").contains("images=tmpfs") && staged >= (long) mib << 20,
                "the zstd archive's images were staged in tmpfs: " + restoredLines.get("zstd"));
        assertTrue(left >= 0 && left < staged / 4, "auto-dedup punched the restored pages out of the staging tmpfs:"
                + " staged " + staged + " bytes, " + left + " left when the restore returned");
        assertTrue(restoredLines.get("erofs").contains("images=erofs"), restoredLines.get("erofs"));
        assertEquals(imagesBefore, digests(imagesDir), "the directory's images are unchanged");
        assertEquals(archiveBefore, RestoreImages.sha256(archive), "the archive is unchanged");

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        for (String id : containers) {
            runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(2).build());
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        List<String> ids = new ArrayList<>(containers);
        for (KubeletFlow.Pod pod : pods) {
            runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            ids.add(pod.id());
        }
        LeakCheck.assertClean(containerd, ids);
    }

    /** SHA-256 of every regular file in {@code dir}, by name. */
    private static Map<String, String> digests(Path dir) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(f.getFileName().toString(), RestoreImages.sha256(f));
            }
        }
        return out;
    }

    /** The number after {@code key=} in a daemon log line. */
    private static long field(String line, String key) {
        var m = java.util.regex.Pattern.compile("\\b" + key + "=(-?\\d+)").matcher(line);
        if (!m.find()) {
            throw new AssertionError("no " + key + " in: " + line);
        }
        return Long.parseLong(m.group(1));
    }

    private static void lazyRestore(PrivateContainerd containerd, TestImages images, BenchImage bench, int mib)
            throws Exception {
        Checkpointed cp = checkpointBenchApp(containerd, images, bench, mib, "fill");
        KubeletFlow kubelet = cp.kubelet();
        KubeletFlow.Pod source = cp.source();
        String app = cp.app();
        Path sourceLog = cp.sourceLog();
        Path archive = cp.archive();
        String sourceSum = checksums(Files.readString(sourceLog)).getFirst();

        KubeletFlow.Pod target = runPod(containerd, kubelet, "fill-lazy", "restore", Map.of(
                "restore-shim.dev/checkpoint", archive.toString(), "restore-shim.dev/criu-lazy-pages", "true"));
        String lazy = createWithSize(containerd, target, bench.ref(), mib);
        long t0 = System.nanoTime();
        kubelet.start(lazy);
        long startMs = (System.nanoTime() - t0) / 1_000_000;
        Path lazyLog = target.logDir().resolve("app/0.log");
        KubeletFlow.awaitFile(lazyLog, s -> s.contains("bench: tick"), Duration.ofSeconds(20));
        long runningMs = (System.nanoTime() - t0) / 1_000_000;
        String served = awaitDaemonLog(containerd, "event=lazy_pages_served", Duration.ofMinutes(5));
        String restored = awaitDaemonLog(containerd, "event=restored ", Duration.ofSeconds(30));
        assertTrue(restored.contains("images=erofs") && restored.contains("staged_bytes=0 "),
                "lazy pages served from the archive mounted in place, nothing staged in tmpfs: " + restored);
        assertEquals(List.of(), stagingMounts(containerd), "the EROFS mount is gone once every page is served");

        containerd.cri().runtime(Duration.ofMinutes(1)).execSync(dev.restoreshim.proto.cri.ExecSyncRequest.newBuilder()
                .setContainerId(lazy).addCmd("kill").addCmd("-USR1").addCmd("1").setTimeout(30).build());
        KubeletFlow.awaitFile(lazyLog, s -> !checksums(s).isEmpty(), Duration.ofMinutes(2));
        Thread.sleep(1000); // ticks after the checksum
        String lazySum = checksums(Files.readString(lazyLog)).getFirst();
        Map<Long, String> before = ticks(Files.readString(sourceLog));
        Map<Long, String> after = ticks(Files.readString(lazyLog));
        List<Long> common = after.keySet().stream().filter(before::containsKey).sorted().toList();
        System.out.printf("lazy restore %d MiB from erofs: start_ms=%d first_tick_ms=%d archive_bytes=%d common_ticks=%d"
                        + " checksum=%s source_checksum=%s%n  %s%n  %s%n", mib, startMs, runningMs, Files.size(archive),
                common.size(), lazySum, sourceSum, served.strip(), restored.strip());
        assertFalse(Files.readString(lazyLog).contains(BenchImage.FILLED), "restored, not filled again");
        assertEquals(sourceSum, lazySum, "checksum over all " + mib + " MiB after every page was served");
        assertTrue(common.size() >= 10, "ticks of both to compare: restored " + after.keySet() + ", source "
                + before.keySet());
        for (long tick : common) {
            assertEquals(before.get(tick), after.get(tick), "memory word of tick " + tick);
        }

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        // Stop + Remove right after Start, while pages are still being served: the lazy-pages daemon
        // ends (its process is gone, or the shim kills it at Delete), the EROFS mount goes, nothing
        // is left (which of the two ended it is printed, not asserted)
        KubeletFlow.Pod early = runPod(containerd, kubelet, "fill-lazy-del", "restore", Map.of(
                "restore-shim.dev/checkpoint", archive.toString(), "restore-shim.dev/criu-lazy-pages", "true"));
        String gone = createWithSize(containerd, early, bench.ref(), mib);
        kubelet.start(gone);
        runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(gone).setTimeout(0).build());
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(gone).build());
        String ended = awaitDaemonLog(containerd, "id=" + gone + " ", "event=lazy_pages_stopped", Duration.ofSeconds(30));
        System.out.println("lazy restore deleted early: " + ended.strip());
        awaitUntil(Duration.ofSeconds(10), () -> stagingMounts(containerd).isEmpty()
                && lazyPagesProcesses(containerd).isEmpty());
        assertEquals(List.of(), stagingMounts(containerd), "no EROFS mount left after an early Delete");
        assertEquals(List.of(), lazyPagesProcesses(containerd), "no criu lazy-pages left after an early Delete");
        runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(early.id()).build());
        runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(early.id()).build());

        KubeletFlow.Pod crashed = daemonKilledWhilePagesAreServed(containerd, kubelet, bench, archive, mib, lazy);
        KubeletFlow.Pod midRestore = daemonKilledDuringRuncRestore(containerd, kubelet, bench, archive, mib);

        for (String id : List.of(lazy, app)) {
            runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        for (KubeletFlow.Pod pod : List.of(target, source, crashed, midRestore)) {
            runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        }
        LeakCheck.assertClean(containerd, List.of(source.id(), target.id(), early.id(), crashed.id(), midRestore.id(),
                app, lazy, gone));
        assertEquals(List.of(), lazyPagesProcesses(containerd), "no criu lazy-pages left");
    }

    /**
     * The node daemon SIGKILLed while a lazy restore's pages are still being served (its EROFS
     * images mount and the {@code criu lazy-pages} daemon still there): containerd runs the
     * launcher's {@code delete} for every task of the daemon, which must take the images mount
     * along with the container, and the lazy-pages daemon must end; nothing of the restore may be
     * left. The daemon's tasks end with it (TTRPC), so {@code lazy} (restored earlier from the same
     * archive) exits too. Returns the restore's pod for the caller's cleanup.
     */
    private static KubeletFlow.Pod daemonKilledWhilePagesAreServed(PrivateContainerd containerd, KubeletFlow kubelet,
            BenchImage bench, Path archive, int mib, String lazy) throws Exception {
        KubeletFlow.Pod pod = runPod(containerd, kubelet, "fill-lazy-crash", "restore", Map.of(
                "restore-shim.dev/checkpoint", archive.toString(), "restore-shim.dev/criu-lazy-pages", "true"));
        String id = createWithSize(containerd, pod, bench.ref(), mib);
        // pages come from disk, not the page cache: serving them takes seconds after Start returns
        HostCommand.of("sh", "-c", "echo 3 > /proc/sys/vm/drop_caches").run().orThrow();
        kubelet.start(id);
        List<Path> serving = stagingMounts(containerd);
        List<Long> lazyPages = lazyPagesProcesses(containerd);
        assertTrue(!serving.isEmpty() && !lazyPages.isEmpty(), "pages still being served when the daemon is killed"
                + " (images mounts " + serving + ", criu lazy-pages " + lazyPages + ")");
        HostScan.HostProcess daemon = DaemonCrashIT.daemonOf(containerd);
        assertTrue(ProcessHandle.of(daemon.pid()).map(ProcessHandle::destroyForcibly).orElse(false), "SIGKILL " + daemon);
        for (String c : List.of(id, lazy)) {
            kubelet.awaitState(c, ContainerState.CONTAINER_EXITED, Duration.ofSeconds(30));
        }
        awaitUntil(Duration.ofSeconds(15), () -> stagingMounts(containerd).isEmpty()
                && lazyPagesProcesses(containerd).isEmpty());
        System.out.printf("daemon %d killed while pages were served (images mounts %s, criu lazy-pages %s)%n",
                daemon.pid(), serving, lazyPages);
        assertEquals(List.of(), stagingMounts(containerd), "no images mount left after the daemon died");
        assertEquals(List.of(), lazyPagesProcesses(containerd), "no criu lazy-pages left after the daemon died");
        containerd.cri().runtime(Duration.ofMinutes(1)).removeContainer(
                RemoveContainerRequest.newBuilder().setContainerId(id).build());
        return pod;
    }

    /**
     * The node daemon SIGKILLed while an eager restore's {@code runc restore} runs (CRIU reading
     * {@code mib} MiB of pages takes seconds): StartContainer fails, and neither the restored
     * process nor runc, CRIU or a mount of the restore may be left once containerd has run the
     * launcher's {@code delete}. Returns the restore's pod for the caller's cleanup.
     */
    private static KubeletFlow.Pod daemonKilledDuringRuncRestore(PrivateContainerd containerd, KubeletFlow kubelet,
            BenchImage bench, Path archive, int mib) throws Exception {
        KubeletFlow.Pod pod = runPod(containerd, kubelet, "fill-eager-crash", "restore", Map.of(
                "restore-shim.dev/checkpoint", archive.toString()));
        String id = createWithSize(containerd, pod, bench.ref(), mib);
        HostCommand.of("sh", "-c", "echo 3 > /proc/sys/vm/drop_caches").run().orThrow(); // CRIU reads from disk: slow enough
        var start = CompletableFuture.runAsync(() -> kubelet.start(id));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<Long> restoring;
        while ((restoring = runcRestoring(id)).isEmpty() && !start.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(!restoring.isEmpty(), "runc restore of " + id + " seen before StartContainer returned ("
                + (start.isDone() ? "it returned" : "30 s") + ")");
        HostScan.HostProcess daemon = DaemonCrashIT.daemonOf(containerd);
        assertTrue(ProcessHandle.of(daemon.pid()).map(ProcessHandle::destroyForcibly).orElse(false), "SIGKILL " + daemon);
        String outcome;
        try {
            start.get(2, TimeUnit.MINUTES);
            outcome = "returned";
        } catch (ExecutionException e) {
            outcome = "failed: " + e.getCause().getMessage();
        }
        System.out.printf("daemon %d killed during runc restore %s; StartContainer %s%n", daemon.pid(), restoring, outcome);
        awaitUntil(Duration.ofSeconds(30), () -> runcRestoring(id).isEmpty() && stagingMounts(containerd).isEmpty());
        assertEquals(List.of(), runcRestoring(id), "no runc restore left after the daemon died");
        assertEquals(List.of(), stagingMounts(containerd), "no images mount left after the daemon died");
        containerd.cri().runtime(Duration.ofMinutes(1)).removeContainer(
                RemoveContainerRequest.newBuilder().setContainerId(id).build());
        return pod;
    }

    /** Pids of {@code runc ... restore ... <id>} processes. */
    private static List<Long> runcRestoring(String id) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains(" restore ") && c.endsWith(" " + id)).orElse(false)).map(ProcessHandle::pid).toList();
    }

    /** Polls {@code done} every 100 ms until it holds or {@code limit} has passed; the caller asserts. */
    private static void awaitUntil(Duration limit, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    /** {@code bench: checksum X} values, in order. */
    private static List<String> checksums(String log) {
        List<String> out = new ArrayList<>();
        var m = java.util.regex.Pattern.compile("bench: checksum (\\p{XDigit}+)").matcher(log);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** Pids of {@code criu lazy-pages} processes working in this instance's dirs. */
    private static List<Long> lazyPagesProcesses(PrivateContainerd containerd) {
        String dir = containerd.dir().toString();
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("lazy-pages") && c.contains(dir)).orElse(false)).map(ProcessHandle::pid).toList();
    }

    /** {@code bench: tick K sum X} lines: K to X. */
    private static Map<Long, String> ticks(String log) {
        Map<Long, String> out = new java.util.TreeMap<>();
        var m = java.util.regex.Pattern.compile("bench: tick (\\d+) sum (\\p{XDigit}+)").matcher(log);
        while (m.find()) {
            out.put(Long.parseLong(m.group(1)), m.group(2));
        }
        return out;
    }

    private static String createWithSize(PrivateContainerd containerd, KubeletFlow.Pod pod, String image, int mib) {
        var config = dev.restoreshim.proto.cri.ContainerConfig.newBuilder()
                .setMetadata(dev.restoreshim.proto.cri.ContainerMetadata.newBuilder().setName("app").setAttempt(0))
                .setImage(dev.restoreshim.proto.cri.ImageSpec.newBuilder().setImage(image))
                .addEnvs(dev.restoreshim.proto.cri.KeyValue.newBuilder().setKey(BenchImage.SIZE_ENV)
                        .setValue(Integer.toString(mib)))
                .setLogPath("app/0.log")
                .setLinux(dev.restoreshim.proto.cri.LinuxContainerConfig.newBuilder().setSecurityContext(
                        dev.restoreshim.proto.cri.LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(
                                dev.restoreshim.proto.cri.NamespaceOption.newBuilder()
                                        .setNetwork(dev.restoreshim.proto.cri.NamespaceMode.NODE)
                                        .setPid(dev.restoreshim.proto.cri.NamespaceMode.CONTAINER)
                                        .setIpc(dev.restoreshim.proto.cri.NamespaceMode.POD))))
                .build();
        return containerd.cri().runtime(Duration.ofMinutes(2)).createContainer(
                dev.restoreshim.proto.cri.CreateContainerRequest.newBuilder().setPodSandboxId(pod.id()).setConfig(config)
                        .setSandboxConfig(pod.config()).build()).getContainerId();
    }

    private static void run(PrivateContainerd containerd, TestImages images, Path key, String secret, Path records,
                            Path work) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        KubeletFlow.Pod source = runPod(containerd, kubelet, "src", "runc", Map.of());
        String app = kubelet.createContainer(source, "app", images.app());
        kubelet.start(app);
        KubeletFlow.awaitFile(source.logDir().resolve("app/0.log"), s -> s.contains("app: tick 2"), Duration.ofSeconds(20));
        Path archive = containerd.dir().resolve("app-checkpoint.tar");
        containerd.cri().runtime(Duration.ofMinutes(2)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                .setContainerId(app).setLocation(archive.toString()).build());

        // not allow-listed: refused at Start (CRI creates the task there), nothing mounted
        KubeletFlow.Pod refusedPod = runPod(containerd, kubelet, "refused", "restore", Map.of(
                "restore-shim.dev/checkpoint", archive.toString(), "restore-shim.dev/criu-ext-unix-sk", "true"));
        String refused = kubelet.createContainer(refusedPod, "app", images.app());
        var notAllowed = assertThrows(StatusRuntimeException.class, () -> kubelet.start(refused));
        System.out.println("refused option: " + notAllowed.getStatus());
        String why = String.valueOf(notAllowed.getStatus().getDescription());
        assertTrue(why.contains("annotation \"restore-shim.dev/criu-ext-unix-sk\"") && why.contains(
                "allowed: tcp-established, file-locks, lazy-pages"), "names the annotation and the allow-list: " + why);
        assertEquals(List.of(), HostScan.mountsUnder(containerd.shimState()), "nothing mounted for a refused option");

        // an encrypted checkpoint on a CRIU without image encryption: refused before anything is mounted
        Path encrypted = containerd.dir().resolve("encrypted.tar");
        Files.copy(archive, encrypted);
        Path cipherDir = Files.createDirectories(work.resolve("cipher/checkpoint"));
        Files.write(cipherDir.resolve("cipher.img"), new byte[] {0x19, 0x43, 0x56, 0x54, 1, 2, 3, 4});
        HostCommand.Result appended = HostCommand.of("tar", "--append", "-f", encrypted.toString(), "-C",
                work.resolve("cipher").toString(), "checkpoint/cipher.img").run();
        assertTrue(appended.ok(), "tar --append: " + appended.stderr());
        KubeletFlow.Pod cipherPod = runPod(containerd, kubelet, "cipher", "restore",
                Map.of("restore-shim.dev/checkpoint", encrypted.toString()));
        String cipher = kubelet.createContainer(cipherPod, "app", images.app());
        var cannotDecrypt = assertThrows(StatusRuntimeException.class, () -> kubelet.start(cipher));
        System.out.println("encrypted checkpoint: " + cannotDecrypt.getStatus());
        String reason = String.valueOf(cannotDecrypt.getStatus().getDescription());
        assertTrue(reason.contains("is encrypted (cipher.img present)") && reason.contains("cannot decrypt images"),
                "says exactly why: " + reason);
        assertEquals(List.of(), HostScan.mountsUnder(containerd.shimState()), "nothing mounted for an encrypted checkpoint");

        // allowed options by annotation: they reach CRIU through org.criu.config
        KubeletFlow.Pod target = runPod(containerd, kubelet, "dst", "restore", Map.of(
                "restore-shim.dev/checkpoint", archive.toString(),
                "restore-shim.dev/criu-tcp-established", "true", "restore-shim.dev/criu-file-locks", "true"));
        String restored = kubelet.createContainer(target, "app", images.app());
        kubelet.start(restored);
        kubelet.awaitState(restored, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        String log = KubeletFlow.awaitFile(target.logDir().resolve("app/0.log"), s -> s.contains("app: tick"),
                Duration.ofSeconds(20));
        assertFalse(log.contains(TestImages.APP_STARTED), "restored, not started again:\n" + log);

        String calls = Files.readString(records.resolve("calls"));
        System.out.println("stand-in criu calls:\n" + calls);
        Path bundle = Path.of(calls.lines().filter(l -> l.startsWith("bundle=") && l.contains(restored))
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("runc never ran the stand-in criu with the"
                        + " restored bundle; calls:\n" + calls)).replaceFirst("^bundle=(\\S+) .*$", "$1"));
        Path conf = bundle.resolve("criu-restore.conf");
        List<String> recorded = recordedConfigs(records);
        assertTrue(recorded.stream().anyMatch(c -> c.contains("\ntcp-established\n") && c.contains("\nfile-locks\n")
                && c.contains("\ntls-key=" + key + "\n")), "the config runc handed to CRIU: " + recorded);
        String restoreLog = Files.readString(bundle.resolve("criu-work/restore.log"));
        assertTrue(restoreLog.contains("Parsing config file " + conf), "CRIU read the per-restore config file");
        assertTrue(restoreLog.contains("Will dump/restore TCP connections"), "tcp-established reached CRIU");
        assertTrue(restoreLog.contains("Loaded kdat cache from /run/criu.kdat"), "CRIU skipped its kernel probe: the"
                + " daemon's cache (or, on a tmpfs /run, CRIU's own) was there");

        // restore-shim status --json: the probed CRIU and the handler's policy, the key only as "(set)"
        String status = HostCommand.of(ShimInstall.prefix().resolve("bin/restore-shim").toString(), "status",
                "--config", containerd.dir().resolve("shim/config.toml").toString(), "--json")
                .withTimeout(Duration.ofSeconds(30)).run().orThrow().stdout();
        System.out.println("status:\n" + status);
        var daemon = tools.jackson.databind.json.JsonMapper.builder().build().readTree(status).get(0);
        var criu = daemon.get("criu");
        String kdat = daemon.get("features").get("criu.kdat_cache").asString();
        assertTrue(kdat.startsWith("provided: /run/criu.kdat") || kdat.startsWith("not_needed"),
                "the kernel-probe cache is there, ours or CRIU's own: " + kdat);
        assertFalse(criu.get("version").asString().isEmpty(), "CRIU version probed: " + criu);
        assertTrue(criu.get("lazy_pages").asBoolean(), "uffd-noncoop on this host: " + criu);
        assertFalse(criu.get("encryption").asBoolean(), "no image encryption in CRIU 4.1.x: " + criu);
        assertEquals("(set)", criu.get("default_options").get("tls-key").asString());
        assertTrue(criu.get("allowed_options").toString().contains("tcp-established"), criu.toString());
        assertFalse(status.contains(key.toString()), "status does not show the key path");

        // the key: its path went into the config file only; its content nowhere
        List<Path> withSecret = filesContaining(containerd.dir(), secret);
        withSecret.addAll(filesContaining(TestEnvironment.logDir(), secret));
        assertEquals(List.of(), withSecret, "the key is neither copied nor logged");
        List<Path> daemonLogs = filesContaining(containerd.shimState().resolve("d"), key.toString());
        assertEquals(List.of(), daemonLogs.stream().filter(p -> p.getFileName().toString().endsWith(".log")).toList(),
                "the key path is not logged");

        // lazy pages: a criu lazy-pages daemon serves the memory; the images go once it has served them all
        KubeletFlow.Pod lazyPod = runPod(containerd, kubelet, "lazy", "restore", Map.of(
                "restore-shim.dev/checkpoint", archive.toString(), "restore-shim.dev/criu-lazy-pages", "true"));
        String lazy = kubelet.createContainer(lazyPod, "app", images.app());
        long l0 = System.nanoTime();
        kubelet.start(lazy);
        long startMs = (System.nanoTime() - l0) / 1_000_000;
        String lazyLog = KubeletFlow.awaitFile(lazyPod.logDir().resolve("app/0.log"), s -> s.contains("app: tick"),
                Duration.ofSeconds(20));
        assertFalse(lazyLog.contains(TestImages.APP_STARTED), "restored lazily, not started again:\n" + lazyLog);
        String served = awaitDaemonLog(containerd, "event=lazy_pages_served", Duration.ofSeconds(30));
        System.out.println("lazy restore: start_ms=" + startMs + " " + served.strip());
        awaitUntil(Duration.ofSeconds(10), () -> stagingMounts(containerd).isEmpty());
        assertEquals(List.of(), stagingMounts(containerd), "the staging tmpfs goes once every page is served");

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(lazy).setTimeout(5).build());
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(lazy).build());
        runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(lazyPod.id()).build());
        runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(lazyPod.id()).build());
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(refused).build());
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(cipher).build());
        for (String id : List.of(restored, app)) {
            runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        for (KubeletFlow.Pod pod : List.of(target, cipherPod, refusedPod, source)) {
            runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        }
        LeakCheck.assertClean(containerd, List.of(source.id(), target.id(), cipherPod.id(), refusedPod.id(), app,
                restored, cipher, refused, lazyPod.id(), lazy));
        assertEquals(Status.Code.INVALID_ARGUMENT, notAllowed.getStatus().getCode(), notAllowed.getStatus().toString());
        assertEquals(Status.Code.FAILED_PRECONDITION, cannotDecrypt.getStatus().getCode(), cannotDecrypt.getStatus().toString());
    }

    /**
     * A script named {@code criu} in {@code dir} that appends its arguments to {@code records/calls};
     * for {@code swrk} (runc's RPC mode) it also finds runc's bundle ({@code --bundle} of its parent),
     * reads the bundle's {@code org.criu.config} and copies that config file (never the files it
     * names) into {@code records}; then it runs the real CRIU.
     */
    private static Path standInCriu(Path dir, Path records) throws IOException {
        String real = HostCommand.of("sh", "-c", "command -v criu").run().stdout().strip();
        if (real.isEmpty()) {
            throw new IllegalStateException("criu is not installed on this host (needed by CriuOptionsIT)");
        }
        Files.createDirectories(dir);
        Path script = dir.resolve("criu");
        Files.writeString(script, """
                #!/bin/sh
                rec='%s'
                echo "$*" >> "$rec/calls"
                if [ "$1" = swrk ]; then
                  bundle=$(tr '\\0' '\\n' < /proc/$PPID/cmdline | sed -n '/^--bundle$/{n;p;}')
                  if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
                    conf=$(sed -n 's/.*"org\\.criu\\.config":"\\([^"]*\\)".*/\\1/p' "$bundle/config.json")
                    echo "bundle=$bundle conf=$conf" >> "$rec/calls"
                    [ -n "$conf" ] && [ -f "$conf" ] && cp "$conf" "$rec/config-$$.conf"
                  fi
                fi
                exec '%s' "$@"
                """.formatted(records, real));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private static List<Path> stagingMounts(PrivateContainerd containerd) {
        return HostScan.mountsUnder(containerd.shimState()).stream().filter(m -> m.toString().contains("/restore/")).toList();
    }

    /**
     * The first line of a daemon log of this instance containing {@code text} and either
     * {@code also} or {@code event=lazy_pages_served}, waiting up to {@code limit}.
     */
    private static String awaitDaemonLog(PrivateContainerd containerd, String text, String also, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try (Stream<Path> logs = Files.walk(containerd.shimState().resolve("d"))) {
                for (Path log : logs.filter(p -> p.getFileName().toString().equals("daemon.log")).toList()) {
                    var hit = Files.readAllLines(log).stream().filter(l -> l.contains(text)
                            && (l.contains(also) || l.contains("event=lazy_pages_served"))).findFirst();
                    if (hit.isPresent()) {
                        return hit.get();
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no \"" + text + "\" with \"" + also + "\" in the daemon log within " + limit);
            }
            Thread.sleep(100);
        }
    }

    /** The first line of a daemon log of this instance containing {@code text}, waiting up to {@code limit}. */
    private static String awaitDaemonLog(PrivateContainerd containerd, String text, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try (Stream<Path> logs = Files.walk(containerd.shimState().resolve("d"))) {
                for (Path log : logs.filter(p -> p.getFileName().toString().equals("daemon.log")).toList()) {
                    var hit = Files.readAllLines(log).stream().filter(l -> l.contains(text)).findFirst();
                    if (hit.isPresent()) {
                        return hit.get();
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no \"" + text + "\" in the daemon log within " + limit);
            }
            Thread.sleep(200);
        }
    }

    private static List<String> recordedConfigs(Path records) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(records)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".conf")).toList()) {
                out.add(Files.readString(p));
            }
        }
        return out;
    }

    /** Regular files under {@code root} (at most 16 MiB each) whose bytes contain {@code text}. */
    private static List<Path> filesContaining(Path root, String text) throws IOException {
        List<Path> hits = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return hits;
        }
        byte[] needle = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                try {
                    if (Files.size(p) <= (16 << 20) && indexOf(Files.readAllBytes(p), needle) >= 0) {
                        hits.add(p);
                    }
                } catch (IOException e) {
                    // vanished or unreadable (a socket's sibling, a file removed meanwhile): not a copy we can see
                }
            }
        } catch (java.io.UncheckedIOException e) {
            // a directory removed while walking
        }
        return hits;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static KubeletFlow.Pod runPod(PrivateContainerd containerd, KubeletFlow kubelet, String name, String handler,
                                          Map<String, String> annotations) throws Exception {
        PodSandboxConfig config = kubelet.sandboxConfig(name, annotations);
        Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
        String id = containerd.cri().runtime(Duration.ofMinutes(2)).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new KubeletFlow.Pod(id, config, logDir);
    }
}
