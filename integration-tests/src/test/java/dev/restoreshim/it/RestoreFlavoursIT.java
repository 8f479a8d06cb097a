package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The other archive flavours end to end, made from one real containerd checkpoint
 * ({@link CheckpointedApp}) by re-packing its members ({@link ArchiveMembers}): the CRI-O/Podman
 * layout (plain {@code rootfs-diff.tar} plus {@code deleted.files}) uncompressed and
 * zstd-compressed (Podman's default export), and the containerd layout gzip- and zstd-compressed.
 * Each is restored through the pod annotation and must run on from the checkpoint (counter,
 * memory checksum, written file there, deleted file absent); {@code restore-shim inspect} must
 * tell its engine, compression and delta format; nothing is left after removal. This instance's
 * daemon keeps deltas as directories ({@code restore.delta = "directory"}, the form hosts without
 * EROFS and deltas too large for an image get), so that both forms restore on the real stack; the
 * other restore tests run with the default, EROFS images.
 */
@ExtendWith(TestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RestoreFlavoursIT {
    private static final String ANNOTATION = "restore-shim.dev/checkpoint";

    private PrivateContainerd containerd;
    private CheckpointedApp app;
    private ArchiveMembers members;

    /** A flavour: layout, outer compression, and what inspect must report. */
    record Flavour(String name, boolean podman, ArchiveMembers.Compression compression, String engine,
                   String compressionName, String deltaFormat) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    void checkpoint() throws Exception {
        containerd = PrivateContainerd.start("RestoreFlavoursIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause());
        Path config = containerd.dir().resolve("shim/config.toml"); // read when the first pod starts the daemon
        Files.writeString(config, Files.readString(config).replace("[restore]\n", "[restore]\ndelta = \"directory\"\n"));
        assertTrue(Files.readString(config).contains("delta = \"directory\""), "config has a [restore] table");
        app = CheckpointedApp.checkpoint(containerd, "source");
        members = ArchiveMembers.read(app.archive());
    }

    @AfterAll
    void stop() {
        if (containerd != null) {
            containerd.close();
        }
    }

    static Stream<Arguments> flavours() {
        return Stream.of(
                new Flavour("podman-tar", true, ArchiveMembers.Compression.NONE, "podman", "none", "plain_tar"),
                new Flavour("podman-zstd", true, ArchiveMembers.Compression.ZSTD, "podman", "zstd", "plain_tar"),
                new Flavour("containerd-gzip", false, ArchiveMembers.Compression.GZIP, "containerd", "gzip", "oci_layer"),
                new Flavour("containerd-zstd", false, ArchiveMembers.Compression.ZSTD, "containerd", "zstd", "oci_layer")
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void flavour_restoresAndRunsOn(Flavour f) throws Exception {
        ArchiveMembers layout = f.podman() ? members.inPodmanLayout() : members;
        Path archive = layout.write(containerd.dir().resolve(f.name() + ".tar" + switch (f.compression()) {
            case NONE -> "";
            case GZIP -> ".gz";
            case ZSTD -> ".zst";
        }), f.compression());

        JsonNode inspect = ShimCli.json(ShimCli.run("inspect", "--json", "--delta-files", archive.toString()).stdout());
        assertEquals(f.engine(), inspect.get("engine").asString(), inspect.toString());
        assertEquals(f.compressionName(), inspect.get("compression").asString(), inspect.toString());
        assertEquals(f.deltaFormat(), inspect.get("delta").get("format").asString(), inspect.toString());
        if (f.podman()) { // deleted.files is read; a whiteout inside a compressed outer archive's delta is not counted by inspect
            assertEquals(1, inspect.get("delta").get("deletions").asLong(), "deleted.files lists the deleted file: " + inspect);
        }

        KubeletFlow kubelet = new KubeletFlow(containerd);
        KubeletFlow.Pod pod = kubelet.runPod(f.name(), "restore", Map.of(ANNOTATION, archive.toString()));
        String id = kubelet.createContainer(pod, "app", CheckpointedApp.image());
        kubelet.start(id);
        app.assertContinues(containerd, pod.logDir().resolve("app/0.log"), id);
        String outcome = "(none)";
        for (JsonNode e : ShimCli.recentRestores(containerd)) {
            if (e.get("id").asString().equals(id)) {
                outcome = e.get("outcome").asString();
            }
        }
        assertEquals("restored", outcome);
        try (Stream<Path> entries = Files.list(containerd.dir().resolve("shim/cache/deltas"))) {
            List<Path> complete = entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
            assertTrue(!complete.isEmpty() && complete.stream().allMatch(Files::isDirectory),
                    "deltas kept as directories here: " + complete);
        }
        kubelet.remove(List.of(id), List.of(pod));
        LeakCheck.assertClean(containerd, List.of(pod.id(), id));
    }
}
