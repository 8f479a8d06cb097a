package dev.restoreshim.restore;

import static dev.restoreshim.restore.RestoreImageFixtures.images;
import static dev.restoreshim.restore.RestoreImageFixtures.layer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.archive.EntryPolicy;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.overlay.DeltaCache;
import dev.restoreshim.overlay.DeltaLayer;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.MountSpec;
import dev.restoreshim.process.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection of a restore image in the rootfs mounts and its restore through {@link Restorer}, with fake mounts. */
class RestoreImageLayerTest {
    @TempDir
    Path tmp;
    private final RestoreFixtures.RecordingMounts mounts = new RestoreFixtures.RecordingMounts();
    private final List<CreateSpec> created = new ArrayList<>();
    private Path bundle;
    private Path top;
    private Restorer restorer;

    @BeforeEach
    void setUp() throws IOException {
        bundle = RestoreFixtures.bundle(tmp.resolve("bundle"), Map.of());
        top = layer(tmp.resolve("snap/3/fs"), images(3 * 4096));
        Files.createDirectories(tmp.resolve("snap/2/fs/etc"));
        restorer = new Restorer(new RestoreEnvironment(mounts, new RestoreFixtures.NoFsMounts(),
                new RestoreFixtures.InertFileOps(), DeltaCache.open(tmp.resolve("cache"), 0), tmp.resolve("daemon/restore"),
                tmp.resolve("scratch"), 1 << 20, EntryPolicy.defaults(), DeltaLayer.Limits.DEFAULT));
    }

    private MountSpec overlay(Path... lowers) {
        String lowerdir = String.join(":", java.util.Arrays.stream(lowers).map(Path::toString).toList());
        return new MountSpec("overlay", "overlay", "", List.of("index=off", "workdir=/snap/9/work",
                "upperdir=/snap/9/fs", "lowerdir=" + lowerdir));
    }

    private CreateSpec spec(MountSpec... rootfs) {
        return new CreateSpec("k8s.io", "app", bundle, List.of(rootfs), Stdio.none(), "", "");
    }

    private String create(CreateSpec s) {
        created.add(s);
        return "container";
    }

    @Test
    void detect_topLowerLayerWithMetadata() {
        var r = RestoreRequest.detect(spec(overlay(top, tmp.resolve("snap/2/fs")))).orElseThrow();
        assertEquals(new RestoreRequest(RestoreRequest.Origin.ROOTFS_LAYER, RestoreRequest.Source.RESTORE_IMAGE, top), r);
    }

    @Test
    void detect_onlyTheTopLayerCounts() {
        assertEquals(Optional.empty(), RestoreRequest.detect(spec(overlay(tmp.resolve("snap/2/fs"), top))));
    }

    @Test
    void detect_bindMountSource() {
        var r = RestoreRequest.detect(spec(new MountSpec("bind", top.toString(), "", List.of("rbind", "ro"))));
        assertEquals(top, r.orElseThrow().path());
    }

    @Test
    void detect_ordinaryImageAndOddMounts_areNoRestore() {
        assertEquals(Optional.empty(), RestoreRequest.detect(spec(overlay(tmp.resolve("snap/2/fs")))));
        assertEquals(Optional.empty(), RestoreRequest.detect(spec(new MountSpec("overlay", "overlay", "",
                List.of("lowerdir=::")))));
        assertEquals(Optional.empty(), RestoreRequest.detect(spec(new MountSpec("tmpfs", "tmpfs", "", List.of()))));
    }

    @Test
    void detect_annotationWinsOverRestoreImage() throws IOException {
        Path archive = Files.write(tmp.resolve("x.tar"), new byte[]{1});
        RestoreFixtures.bundle(bundle, Map.of(RestoreRequest.ANNOTATION, archive.toString()));
        assertEquals(RestoreRequest.Source.ARCHIVE,
                RestoreRequest.detect(spec(overlay(top, tmp.resolve("snap/2/fs")))).orElseThrow().source());
    }

    @Test
    void detect_sandboxContainer_isNeverARestore() throws IOException {
        RestoreFixtures.bundle(bundle, Map.of(RestoreRequest.CONTAINER_TYPE, "sandbox"));
        assertEquals(Optional.empty(), RestoreRequest.detect(spec(overlay(top, tmp.resolve("snap/2/fs")))));
    }

    @Test
    void restore_mountsOverlayWithoutTopLayer_bindsImagesReadOnly_createsWithThem() throws IOException {
        CreateSpec spec = spec(overlay(top, tmp.resolve("snap/2/fs"), tmp.resolve("snap/1/fs")));
        RestoreRequest request = RestoreRequest.detect(spec).orElseThrow();

        Restoration<String> r = restorer.restore(spec, request, this::create);

        Path images = bundle.resolve(RestoreImageLayer.IMAGES_MOUNT);
        assertEquals(List.of("mount overlay " + bundle.resolve("rootfs") + " lowerdir=" + tmp.resolve("snap/2/fs") + ":"
                        + tmp.resolve("snap/1/fs") + ",upperdir=/snap/9/fs,workdir=/snap/9/work,index=off",
                "mount  " + images + " ", "mount  " + images + " "), mounts.calls());
        CreateSpec s = created.getFirst();
        assertEquals(images.toString(), s.checkpoint());
        assertEquals(List.of(), s.rootfs(), "the rootfs is mounted already");
        assertEquals(top + "\n", Files.readString(bundle.resolve(RestoreImageLayer.MARKER)));
        assertEquals(-1, r.timings().stageMs(), "nothing staged");
        assertEquals(0, r.timings().stagedBytes());

        r.afterStart(5, true);
        r.close();
        assertEquals(List.of("unmount " + images, "unmount " + bundle.resolve("rootfs")),
                mounts.calls().subList(3, mounts.calls().size()));
        assertFalse(Files.exists(bundle.resolve(RestoreImageLayer.MARKER)));
        assertFalse(Files.exists(images));
        assertTrue(Files.isRegularFile(top.resolve(".restore-shim/checkpoint/pages-1.img")), "the layer is untouched");
    }

    @Test
    void restore_imageCheckSeesTheLayersImages_asSharedNotOwnCopy_beforeAnyMount() throws IOException {
        Files.write(top.resolve(".restore-shim/checkpoint/cipher.img"), new byte[] {1, 2, 3});
        CreateSpec spec = spec(overlay(top, tmp.resolve("snap/2/fs")));
        RestoreRequest request = RestoreRequest.detect(spec).orElseThrow();
        List<CheckpointImages> checks = new ArrayList<>();
        ShimException e = assertThrows(ShimException.class, () -> restorer.restore(spec, request, images -> {
            checks.add(images);
            throw ShimException.failedPrecondition("refused: cipher.img=" + images.nonEmpty().test("cipher.img"));
        }, this::create));
        assertEquals("refused: cipher.img=true", e.getMessage());
        assertFalse(checks.getFirst().ownCopy(), "a pulled layer is shared: CRIU must not change it (auto-dedup)");
        assertTrue(checks.getFirst().nonEmpty().test("pages-1.img"));
        assertFalse(checks.getFirst().nonEmpty().test("absent.img"));
        assertEquals(List.of(), mounts.calls(), "refused before anything is mounted");
        assertEquals(List.of(), created);
    }

    @Test
    void restore_corruptLayer_refusedBeforeAnyMount() throws IOException {
        Files.write(top.resolve(".restore-shim/checkpoint/pages-1.img"), new byte[4096]);
        CreateSpec spec = spec(overlay(top, tmp.resolve("snap/2/fs")));
        RestoreRequest request = RestoreRequest.detect(spec).orElseThrow();
        ShimException e = assertThrows(ShimException.class, () -> restorer.restore(spec, request, this::create));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains(top.toString()) && e.getMessage().contains("pages-1.img"), e.getMessage());
        assertEquals(List.of(), mounts.calls());
        assertEquals(List.of(), created);
        assertFalse(Files.exists(bundle.resolve(RestoreImageLayer.MARKER)));
    }

    @Test
    void restore_onlyTheCheckpointLayer_isRefused() {
        CreateSpec spec = spec(overlay(top));
        RestoreRequest request = RestoreRequest.detect(spec).orElseThrow();
        ShimException e = assertThrows(ShimException.class, () -> restorer.restore(spec, request, this::create));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("no layer below the checkpoint layer"), e.getMessage());
        assertEquals(List.of(), mounts.calls());
    }

    @Test
    void restore_bindMountFails_overlayIsUnmounted_nothingLeft() {
        mounts.failing = fstype -> fstype.isEmpty();
        CreateSpec spec = spec(overlay(top, tmp.resolve("snap/2/fs")));
        RestoreRequest request = RestoreRequest.detect(spec).orElseThrow();
        ShimException e = assertThrows(ShimException.class, () -> restorer.restore(spec, request, this::create));
        assertEquals(ErrorKind.INTERNAL, e.kind());
        Path images = bundle.resolve(RestoreImageLayer.IMAGES_MOUNT);
        assertEquals(List.of("failed mount  " + images, "unmount " + bundle.resolve("rootfs")),
                mounts.calls().subList(1, mounts.calls().size()));
        assertFalse(Files.exists(images));
        assertEquals(List.of(), created);
    }

    @Test
    void restore_createFails_everythingReleased() {
        CreateSpec spec = spec(overlay(top, tmp.resolve("snap/2/fs")));
        RestoreRequest request = RestoreRequest.detect(spec).orElseThrow();
        assertThrows(ShimException.class, () -> restorer.restore(spec, request, s -> {
            throw ShimException.internal("runc create failed", null);
        }));
        Path images = bundle.resolve(RestoreImageLayer.IMAGES_MOUNT);
        assertEquals(List.of("unmount " + images, "unmount " + bundle.resolve("rootfs")),
                mounts.calls().subList(3, mounts.calls().size()));
        assertFalse(Files.exists(bundle.resolve(RestoreImageLayer.MARKER)));
    }

    @Test
    void readopt_marker_unmountsOverlayAndImages() {
        CreateSpec spec = spec(overlay(top, tmp.resolve("snap/2/fs")));
        restorer.restore(spec, RestoreRequest.detect(spec).orElseThrow(), this::create);
        mounts.calls.clear();

        CreateSpec adopted = new CreateSpec("k8s.io", "app", bundle, List.of(), Stdio.none(), "", "");
        RestoreRequest request = RestoreRequest.detect(adopted).orElseThrow();
        assertEquals(new RestoreRequest(RestoreRequest.Origin.ROOTFS_LAYER, RestoreRequest.Source.RESTORE_IMAGE, top),
                request);
        Restoration<String> r = restorer.readopt(adopted, request, "container");
        assertEquals(List.of(), mounts.calls(), "readopt mounts nothing");
        r.close();
        assertEquals(List.of("unmount " + bundle.resolve(RestoreImageLayer.IMAGES_MOUNT),
                "unmount " + bundle.resolve("rootfs")), mounts.calls());
    }
}
