package dev.restoreshim.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.CheckpointFixtures;
import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.EntryPolicy;
import dev.restoreshim.archive.TarBuilder;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Builds restore images from small archives of each flavour into an OCI layout and reads them back. */
class RestoreImageTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;
    private FakeRegistry registry;
    private RegistryClient client;
    private ImageRef baseRef;

    @BeforeEach
    void start() throws IOException {
        registry = new FakeRegistry();
        client = new RegistryClient(registry.host(), true);
        baseRef = TestBaseImage.publish(registry, "base/app", "1", true);
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    /** A built image read back from its layout. */
    private record Built(RestoreImage.Result result, JsonNode manifest, JsonNode config, Path layout) {
        byte[] blob(String digest) throws IOException {
            return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(digest.substring(7)));
        }

        byte[] layer(int fromTop) throws IOException {
            JsonNode layers = manifest.path("layers");
            return blob(layers.get(layers.size() - 1 - fromTop).path("digest").asString());
        }
    }

    private Built build(Path archivePath) throws IOException {
        Path layout = tmp.resolve("layout");
        BaseImage base = BaseImage.fetch(client, baseRef, "linux", BaseImage.hostArchitecture());
        OciLayoutTarget target = new OciLayoutTarget(layout, "ckpt",
                d -> client.openBlob(baseRef.repository(), d.digest()));
        try (CheckpointArchive a = CheckpointArchive.open(archivePath, EntryPolicy.defaults())) {
            CheckpointSummary s = a.summary(false);
            RestoreImage.Result r = RestoreImage.build(a, s, base, target, Progress.none());
            JsonNode manifest = JSON.readTree(r.manifest());
            Built b = new Built(r, manifest, null, layout);
            return new Built(r, manifest, JSON.readTree(b.blob(r.config().digest())), layout);
        }
    }

    @Test
    void containerdArchiveKeepsItsGzipDeltaAsTheDeltaLayer() throws IOException {
        Path archive = CheckpointFixtures.containerd(tmp);
        Built b = build(archive);
        byte[] original;
        try (CheckpointArchive a = CheckpointArchive.open(archive, EntryPolicy.defaults())) {
            original = a.index().open("rootfs-diff.tar").readAllBytes();
        }
        assertTrue(b.result().delta().passedThrough());
        assertArrayEquals(original, b.layer(1), "containerd's layer bytes are pushed as they are");
        assertEquals(Digests.of(LayerEntries.gunzip(original)), b.result().delta().diffId());
        JsonNode delta = b.manifest().path("layers").get(2);
        assertEquals(MediaTypes.OCI_LAYER_GZIP, delta.path("mediaType").asString());
    }

    @Test
    void manifestHasBaseLayersThenDeltaThenCheckpointAndOnlyOurAnnotations() throws IOException {
        Built b = build(CheckpointFixtures.containerd(tmp));
        JsonNode m = b.manifest();
        assertEquals(MediaTypes.OCI_MANIFEST, m.path("mediaType").asString());
        assertEquals(MediaTypes.OCI_CONFIG, m.path("config").path("mediaType").asString());
        JsonNode layers = m.path("layers");
        assertEquals(4, layers.size());
        assertEquals(TestBaseImage.layerDigests(), List.of(layers.get(0).path("digest").asString(), layers.get(1).path("digest").asString()));
        assertEquals("application/vnd.docker.image.rootfs.diff.tar.gzip", layers.get(0).path("mediaType").asString(),
                "base layers keep their media types");
        assertEquals(MediaTypes.OCI_LAYER_TAR, layers.get(3).path("mediaType").asString());
        JsonNode a = m.path("annotations");
        assertEquals("1", a.path(RestoreImage.ANNOTATION_VERSION).asString());
        assertEquals("4.1.1", a.path(RestoreImage.ANNOTATION_CRIU_VERSION).asString());
        assertEquals("2026-11-23T10:05:00Z", a.path(RestoreImage.ANNOTATION_CREATED).asString());
        assertEquals("fill", a.path(RestoreImage.ANNOTATION_CONTAINER).asString());
        assertEquals(baseRef.toString(), a.path(RestoreImage.ANNOTATION_BASE_IMAGE).asString());
        assertEquals(Digests.of(b.result().checkpoint().metadata()), a.path(RestoreImage.ANNOTATION_METADATA_DIGEST).asString());
        for (String forbidden : RestoreImage.FORBIDDEN_ANNOTATIONS) {
            assertFalse(new String(b.result().manifest()).contains(forbidden), forbidden);
            assertFalse(new String(b.blob(b.result().config().digest())).contains(forbidden), forbidden);
        }
        assertEquals(6, a.size(), "no other annotation: " + a);
    }

    @Test
    void configRunsTheCheckpointedProcessOnTopOfTheBaseConfig() throws IOException {
        Built b = build(CheckpointFixtures.containerd(tmp));
        JsonNode c = b.config();
        assertTrue(c.path("config").path("Entrypoint").isNull());
        assertEquals(List.of("/fill", "64"), strings(c.path("config").path("Cmd")));
        assertEquals(List.of("PATH=/bin", "HOME=/"), strings(c.path("config").path("Env")));
        assertEquals("/work", c.path("config").path("WorkingDir").asString());
        assertEquals("me", c.path("config").path("Labels").path("keep").asString(), "the rest of the base config stays");
        List<String> diffIds = strings(c.path("rootfs").path("diff_ids"));
        assertEquals(4, diffIds.size());
        assertEquals(b.result().delta().diffId(), diffIds.get(2));
        assertEquals(b.result().checkpoint().descriptor().digest(), diffIds.get(3), "uncompressed: digest = diff_id");
        JsonNode history = c.path("history");
        assertEquals(4, history.size());
        assertEquals(ImageConfig.HISTORY_DELTA, history.get(2).path("created_by").asString());
        assertEquals(ImageConfig.HISTORY_CHECKPOINT, history.get(3).path("created_by").asString());
        assertEquals("2026-11-23T10:05:00Z", c.path("created").asString());
    }

    @Test
    void checkpointLayerHoldsOnlyTheReservedDirectory() throws IOException {
        Built b = build(CheckpointFixtures.containerd(tmp));
        Map<String, LayerEntries.Entry> entries = LayerEntries.of(b.layer(0));
        for (String name : entries.keySet()) {
            assertTrue(name.startsWith(".restore-shim/"), name);
        }
        LayerEntries.Entry dir = entries.get(".restore-shim/");
        assertEquals(0700, dir.header().getMode() & 07777);
        assertEquals(0, dir.header().getLongUserId());
        LayerEntries.Entry pages = entries.get(".restore-shim/checkpoint/pages-1.img");
        assertEquals(CheckpointFixtures.PAGES, pages.data().length);
        assertEquals(0600, pages.header().getMode() & 07777);
        assertArrayEquals(CheckpointFixtures.inventory(), entries.get(".restore-shim/checkpoint/inventory.img").data());
        assertFalse(entries.containsKey(".restore-shim/checkpoint/dump.log"), "only checkpoint/ is copied");
        assertArrayEquals(b.result().checkpoint().metadata(), entries.get(".restore-shim/restore.json").data());
        assertEquals(8 + 3, entries.size(), "two dirs, eight images, restore.json: " + entries.keySet());
    }

    @Test
    void restoreJsonDescribesTheCheckpointAndEveryImage() throws IOException {
        Built b = build(CheckpointFixtures.containerd(tmp));
        JsonNode r = JSON.readTree(b.result().checkpoint().metadata());
        assertEquals(RestoreMetadata.FORMAT, r.path("format").asString());
        assertEquals(1, r.path("version").asInt());
        JsonNode c = r.path("checkpoint");
        assertEquals("fill", c.path("containerName").asString());
        assertEquals("4.1.1", c.path("criuVersion").asString());
        assertEquals("runc", c.path("runtime").asString());
        assertEquals("containerd", c.path("archiveFlavour").asString());
        assertEquals(baseRef.toString(), c.path("baseImage").asString());
        assertTrue(Digests.valid(c.path("baseImageDigest").asString()));
        assertEquals(b.config().path("rootfs").path("diff_ids").get(0).asString(), r.path("layers").path("base").get(0).asString());
        assertEquals(b.result().delta().diffId(), r.path("layers").path("delta").asString());
        Map<String, LayerEntries.Entry> entries = LayerEntries.of(b.layer(0));
        JsonNode images = r.path("images");
        assertEquals(8, images.size());
        for (JsonNode i : images) {
            byte[] data = entries.get(".restore-shim/checkpoint/" + i.path("name").asString()).data();
            assertEquals(data.length, i.path("size").asLong());
            assertEquals(HexFormat.of().formatHex(Digests.sha256().digest(data)), i.path("sha256").asString());
        }
        assertTrue(r.path("criuOptions").isObject());
        assertEquals(0, r.path("criuOptions").size());
    }

    @Test
    void largeImagesHaveNoHashAndTcpStreamsAskForTcpEstablished() throws IOException {
        byte[] tar = new TarBuilder().dir("checkpoint")
                .file("checkpoint/inventory.img", CheckpointFixtures.inventory())
                .file("checkpoint/pages-1.img", new byte[(1 << 20) + 1])
                .file("checkpoint/tcp-stream-5a.img", new byte[10])
                .file("config.dump", "{\"name\":\"n\",\"rootfsImageName\":\"x/y:1\",\"checkpointedTime\":\"2026-01-02T03:04:05+01:00\"}")
                .file("spec.dump", "{\"process\":{\"args\":[\"/a\"],\"env\":[],\"cwd\":\"/\"}}")
                .file("rootfs-diff.tar", new byte[0])
                .build();
        Built b = build(CheckpointFixtures.write(tmp.resolve("big.tar"), tar));
        JsonNode r = JSON.readTree(b.result().checkpoint().metadata());
        JsonNode pages = find(r.path("images"), "pages-1.img");
        assertEquals((1 << 20) + 1, pages.path("size").asLong());
        assertTrue(pages.path("sha256").isNull());
        assertTrue(r.path("criuOptions").path("tcp-established").asBoolean());
        assertEquals("2026-01-02T02:04:05Z", r.path("checkpoint").path("created").asString());
        assertEquals(Map.of(), LayerEntries.of(LayerEntries.gunzip(b.layer(1))).entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "empty delta, still a layer");
    }

    @Test
    void crioDeletedFilesBecomeWhiteouts() throws IOException {
        Built b = build(CheckpointFixtures.crio(tmp));
        assertFalse(b.result().delta().passedThrough());
        byte[] tar = LayerEntries.gunzip(b.layer(1));
        assertEquals(Digests.of(tar), b.result().delta().diffId());
        Map<String, LayerEntries.Entry> e = LayerEntries.of(tar);
        assertTrue(e.containsKey("var/lib/app/"), e.keySet().toString());
        assertEquals(1000, e.get("var/lib/app/state").data().length);
        assertTrue(e.containsKey("etc/.wh.motd"), e.keySet().toString());
        assertTrue(e.containsKey("usr/share/.wh.doc"), e.keySet().toString());
        assertEquals(2, b.result().delta().whiteouts());
        assertEquals("crio", JSON.readTree(b.result().checkpoint().metadata()).path("checkpoint").path("archiveFlavour").asString());
        assertEquals(List.of("/app"), strings(b.config().path("config").path("Cmd")));
    }

    @Test
    void podmanZstdArchiveIsConvertedToo() throws IOException {
        Built b = build(CheckpointFixtures.podman(tmp));
        Map<String, LayerEntries.Entry> e = LayerEntries.of(LayerEntries.gunzip(b.layer(1)));
        assertEquals("server {}\n", new String(e.get("etc/nginx/conf.d/x.conf").data()));
        assertTrue(e.containsKey("etc/nginx/conf.d/.wh.default.conf"));
        assertEquals("crun", JSON.readTree(b.result().checkpoint().metadata()).path("checkpoint").path("runtime").asString());
    }

    @Test
    void aDeletedPathAlsoInTheTarIsLeftOutWithEverythingBelowIt() throws IOException {
        byte[] tar = new TarBuilder().dir("checkpoint")
                .file("checkpoint/inventory.img", CheckpointFixtures.inventory())
                .file("config.dump", "{\"name\":\"n\",\"rootfsImageName\":\"x/y:1\"}")
                .file("spec.dump", "{\"process\":{\"args\":[\"/a\"]}}")
                .file("bind.mounts", "[]")
                .file("rootfs-diff.tar", new TarBuilder().dir("gone").file("gone/f", "x").file("kept", "k").build())
                .file("deleted.files", "[\"gone\"]")
                .build();
        Built b = build(CheckpointFixtures.write(tmp.resolve("crio2.tar"), tar));
        Map<String, LayerEntries.Entry> e = LayerEntries.of(LayerEntries.gunzip(b.layer(1)));
        assertEquals(List.of("kept", ".wh.gone"), new ArrayList<>(e.keySet()));
    }

    @Test
    void layoutHasOciLayoutIndexAndEveryBlob() throws IOException {
        Built b = build(CheckpointFixtures.containerd(tmp));
        assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}", Files.readString(b.layout().resolve("oci-layout")));
        JsonNode index = JSON.readTree(b.layout().resolve("index.json").toFile());
        JsonNode entry = index.path("manifests").get(0);
        assertEquals(b.result().manifestDigest(), entry.path("digest").asString());
        assertEquals("ckpt", entry.path("annotations").path("org.opencontainers.image.ref.name").asString());
        for (Descriptor d : b.result().layers()) {
            byte[] blob = b.blob(d.digest());
            assertEquals(d.size(), blob.length);
            assertEquals(d.digest(), Digests.of(blob));
        }
        assertEquals(b.result().manifestDigest(), Digests.of(b.blob(b.result().manifestDigest())));
        try (var files = Files.list(b.layout().resolve("blobs/sha256"))) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith(".tmp")).toList(), "no temp files left");
        }
        assertEquals(Map.of(ImageTarget.Reuse.COPIED, 2), b.result().reuse());
    }

    @Test
    void anArchiveWithoutCommandIsRefusedNamingIt() {
        byte[] tar = new TarBuilder().dir("checkpoint")
                .file("checkpoint/inventory.img", CheckpointFixtures.inventory())
                .file("config.dump", "{\"name\":\"n\"}")
                .build();
        Path p = CheckpointFixtures.write(tmp.resolve("nocmd.tar"), tar);
        ShimException e = assertThrows(ShimException.class, () -> build(p));
        assertTrue(e.getMessage().contains("nocmd.tar") && e.getMessage().contains("process.args"), e.getMessage());
    }

    @Test
    void anArchiveWithoutCriuImagesIsRefused() {
        byte[] tar = new TarBuilder().file("spec.dump", "{\"process\":{\"args\":[\"/a\"]}}").build();
        Path p = CheckpointFixtures.write(tmp.resolve("empty.tar"), tar);
        ShimException e = assertThrows(ShimException.class, () -> build(p));
        assertTrue(e.getMessage().contains("inventory.img"), e.getMessage());
    }

    private static JsonNode find(JsonNode images, String name) {
        for (JsonNode i : images) {
            if (i.path("name").asString().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no image " + name + " in " + images);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
