package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.CheckpointContainerRequest;
import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.StopContainerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A restore image restored lazily: a containerd whose restore handler turns CRIU's lazy pages on
 * for every restore ({@code [criu.defaults] lazy-pages = true}). The app is checkpointed through
 * CRI with the runc handler, a restore image is built and pushed, then pulled and restored with
 * handler {@code restore}: the counter continues, the {@code criu lazy-pages} daemon serves the
 * pages from the read-only images mount of the checkpoint layer ({@code <bundle>/restore-images};
 * nothing is staged or copied), and after Stop + Remove no mount of the task and no
 * {@code criu lazy-pages} process is left.
 */
@ExtendWith(TestEnvironment.class)
class RestoreImageLazyIT {
    private static final String LAZY_TOML = """
            [criu]
            binary = "criu"

            [criu.defaults]
            lazy-pages = true
            """;

    @Test
    void restoreImage_restoredLazily_pagesServedFromTheImagesMount() throws Exception {
        TestImages images = TestEnvironment.images();
        String registry = TestEnvironment.shared().registry().host();
        try (PrivateContainerd containerd = PrivateContainerd.start("RestoreImageLazyIT", Handler.RESTORE_TTRPC,
                registry, images.pause(), LAZY_TOML)) {
            assertTimeoutPreemptively(Duration.ofMinutes(6), () -> run(containerd, images, registry),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void run(PrivateContainerd containerd, TestImages images, String registry) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        KubeletFlow.Pod source = RestoreImageIT.runPod(containerd, "src", "runc");
        String app = kubelet.createContainer(source, "app", images.app());
        kubelet.start(app);
        KubeletFlow.awaitFile(source.logDir().resolve("app/0.log"), s -> s.contains("app: tick 3"), Duration.ofSeconds(20));
        Path archive = containerd.dir().resolve("app-checkpoint.tar");
        containerd.cri().runtime(Duration.ofMinutes(2)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                .setContainerId(app).setLocation(archive.toString()).build());
        int atCheckpoint = RestoreImageIT.lastTick(Files.readString(source.logDir().resolve("app/0.log")));

        String ref = registry + "/rsit/app-restore-lazy:1";
        RestoreImages.build(archive, images.app(), ref, TestEnvironment.workDir());
        kubelet.pull(ref);

        KubeletFlow.Pod target = RestoreImageIT.runPod(containerd, "lazy", "restore");
        long t0 = System.nanoTime();
        String restored = kubelet.createContainer(target, "app", ref);
        kubelet.start(restored);
        long startMs = (System.nanoTime() - t0) / 1_000_000;
        kubelet.awaitState(restored, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        int first = RestoreImageIT.assertContinues(target, atCheckpoint);

        Path bundle = containerd.criBundle(restored);
        String started = daemonLine(containerd, "event=lazy_pages_launched", restored, Duration.ofSeconds(10));
        assertTrue(started.contains("images=" + bundle.resolve("restore-images") + " ")
                        || started.endsWith("images=" + bundle.resolve("restore-images")),
                "the lazy-pages daemon reads the images mount of the checkpoint layer: " + started);
        String served = daemonLine(containerd, "event=lazy_pages_served", restored, Duration.ofSeconds(30));
        String done = daemonLine(containerd, "event=restored ", restored, Duration.ofSeconds(30));
        assertTrue(done.contains(" staged_bytes=0 "),
                "nothing staged: " + done);
        assertEquals(List.of(), HostScan.mountsUnder(containerd.shimState()).stream()
                .filter(m -> m.toString().contains("/restore/")).toList(), "no staging mount");
        System.out.printf("restore_image_lazy_it create_start_ms=%d ticks_at_checkpoint=%d first_restored_tick=%d%n"
                + "  %s%n  %s%n  %s%n", startMs, atCheckpoint, first, started.strip(), served.strip(), done.strip());

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        for (String id : List.of(restored, app)) {
            runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        RestoreImageIT.removePods(containerd, List.of(source, target));
        assertEquals(List.of(), HostScan.mountsUnder(bundle), "mounts of the removed lazily restored task");
        assertEquals(List.of(), lazyPagesProcesses(containerd), "no criu lazy-pages left");
        LeakCheck.assertClean(containerd, List.of(source.id(), target.id(), app, restored));
    }

    /** Pids of {@code criu lazy-pages} processes working in this instance's dirs. */
    private static List<Long> lazyPagesProcesses(PrivateContainerd containerd) {
        String dir = containerd.dir().toString();
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("lazy-pages") && c.contains(dir)).orElse(false)).map(ProcessHandle::pid).toList();
    }

    /** The first daemon log line with {@code event} for container {@code id}, waiting up to {@code limit}. */
    private static String daemonLine(PrivateContainerd containerd, String event, String id, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try (Stream<Path> logs = Files.walk(containerd.shimState().resolve("d"))) {
                for (Path log : logs.filter(p -> p.getFileName().toString().equals("daemon.log")).toList()) {
                    var hit = Files.readAllLines(log).stream()
                            .filter(l -> l.contains(event) && l.contains(" id=" + id + " ")).findFirst();
                    if (hit.isPresent()) {
                        return hit.get();
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no \"" + event + "\" for " + id + " in the daemon log within " + limit);
            }
            Thread.sleep(100);
        }
    }
}
