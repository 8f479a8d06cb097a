package dev.restoreshim.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.CheckpointFixtures;
import dev.restoreshim.archive.EntryPolicy;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Pushes restore images to an in-process registry: mounts, chunked uploads, errors. */
class RegistryTargetTest {
    @TempDir
    Path tmp;
    private FakeRegistry registry;
    private RegistryClient client;
    private ImageRef baseRef;

    @BeforeEach
    void start() throws IOException {
        registry = new FakeRegistry();
        client = new RegistryClient(registry.host(), true);
        baseRef = TestBaseImage.publish(registry, "base/app", "1", false);
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private Path archive;

    private RestoreImage.Result push(String target, int chunk) {
        if (archive == null) {
            archive = CheckpointFixtures.containerd(tmp);
        }
        ImageRef ref = ImageRef.parse(registry.host() + "/" + target);
        BaseImage base = BaseImage.fetch(client, baseRef, "linux", BaseImage.hostArchitecture());
        try (CheckpointArchive a = CheckpointArchive.open(archive, EntryPolicy.defaults())) {
            return RestoreImage.build(a, a.summary(false), base, new RegistryTarget(client, ref, baseRef, client,
                    chunk > 0 ? RegistryTarget.Upload.CHUNKED : RegistryTarget.Upload.STREAMED, Math.max(chunk, 1)),
                    Progress.none());
        }
    }

    @Test
    void baseLayersAreMountedNeverUploadedAndNewLayersGoUpInChunks() {
        RestoreImage.Result r = push("ckpt/app:1", 1000);
        assertEquals(Map.of(ImageTarget.Reuse.MOUNTED, 2), r.reuse());
        for (String base : TestBaseImage.layerDigests()) {
            assertFalse(registry.uploaded.contains(base), "base layer uploaded: " + base);
        }
        assertEquals(2, registry.count("POST ckpt/app/blobs/uploads/?mount="));
        long checkpointBytes = r.checkpoint().descriptor().size();
        assertTrue(registry.count("PATCH ckpt/app/blobs/uploads/") >= checkpointBytes / 1000, registry.log.toString());
        assertTrue(registry.uploaded.contains(r.checkpoint().descriptor().digest()));
        assertTrue(registry.uploaded.contains(r.delta().descriptor().digest()));
        RegistryClient.Manifest m = client.manifest("ckpt/app", "1");
        assertEquals(r.manifestDigest(), m.digest());
        assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
        JsonNode layers = JsonMapper.builder().build().readTree(m.bytes()).path("layers");
        for (JsonNode l : layers) {
            assertTrue(client.blobExists("ckpt/app", l.path("digest").asString()), l.toString());
        }
    }

    @Test
    void aStreamedUploadSendsEachNewBlobInOnePatch() {
        RestoreImage.Result r = push("ckpt/app:1", 0);
        assertEquals(Map.of(ImageTarget.Reuse.MOUNTED, 2), r.reuse());
        assertEquals(2, registry.count("PATCH ckpt/app/blobs/uploads/"), registry.log.toString());
        assertTrue(registry.uploaded.contains(r.checkpoint().descriptor().digest()));
        assertTrue(registry.uploaded.contains(r.delta().descriptor().digest()));
        assertEquals(r.manifestDigest(), client.manifest("ckpt/app", "1").digest());
    }

    @Test
    void aStreamedUploadRefusedMidwayReportsTheRegistrysReason() {
        registry.refusePatches = true;
        ShimException e = assertThrows(ShimException.class, () -> push("ckpt/app:1", 0));
        assertTrue(e.getMessage().contains("status 416") && e.getMessage().contains("BLOB_UPLOAD_INVALID"), e.getMessage());
    }

    @Test
    void aSecondPushFindsEveryBlobInPlace() {
        push("ckpt/app:1", 0);
        long uploadsBefore = registry.uploaded.size();
        RestoreImage.Result again = push("ckpt/app:2", 1 << 20);
        assertEquals(Map.of(ImageTarget.Reuse.EXISTS, 2), again.reuse());
        assertEquals(uploadsBefore, registry.uploaded.size(), "the same archive gives the same layers and config");
    }

    @Test
    void theSameRepositoryAsTheBaseNeedsNoMount() {
        RestoreImage.Result r = push("base/app:ckpt", 1 << 20);
        assertEquals(Map.of(ImageTarget.Reuse.EXISTS, 2), r.reuse());
        assertEquals(0, registry.count("POST base/app/blobs/uploads/?mount="));
    }

    @Test
    void aBaseLayerMissingFromTheRegistryIsReportedNotUploaded() {
        registry.links.get("base/app").remove(TestBaseImage.layerDigests().get(1));
        ShimException e = assertThrows(ShimException.class, () -> push("ckpt/app:1", 1 << 20));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains(TestBaseImage.layerDigests().get(1)) && e.getMessage().contains("not in the registry"),
                e.getMessage());
    }

    @Test
    void aMissingBaseImageIsNotFoundNamingIt() {
        ShimException e = assertThrows(ShimException.class,
                () -> BaseImage.fetch(client, ImageRef.parse(registry.host() + "/base/none:1"), "linux", "amd64"));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("base/none:1") && e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void aRefusalCarriesTheStatusAndBody() {
        ShimException e = assertThrows(ShimException.class,
                () -> client.putBlob("ckpt/app", "sha256:" + "0".repeat(64), "x".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("status 400") && e.getMessage().contains("DIGEST_INVALID"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void aRegistryThatIsNotThereIsUnavailable() {
        RegistryClient nowhere = new RegistryClient("127.0.0.1:1", true);
        ShimException e = assertThrows(ShimException.class, () -> nowhere.manifest("a/b", "1"));
        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("127.0.0.1:1") && e.getMessage().contains("cannot connect"), e.getMessage());
    }

    @Test
    void anIndexIsResolvedToTheHostPlatform() {
        String child = client.manifest("base/app", "1").digest();
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"sha256:" + "1".repeat(64)
                + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x\"}},"
                + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + child
                + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"" + BaseImage.hostArchitecture() + "\"}}]}")
                .getBytes(StandardCharsets.UTF_8);
        registry.putManifest("base/app", "multi", MediaTypes.OCI_INDEX, index);
        BaseImage b = BaseImage.fetch(client, ImageRef.parse(registry.host() + "/base/app:multi"), "linux",
                BaseImage.hostArchitecture());
        assertEquals(child, b.manifestDigest());
        assertEquals(2, b.layers().size());
    }
}
