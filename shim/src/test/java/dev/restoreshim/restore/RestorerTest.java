package dev.restoreshim.restore;

import static dev.restoreshim.restore.RestoreFixtures.archive;
import static dev.restoreshim.restore.RestoreFixtures.bundle;
import static dev.restoreshim.restore.RestoreFixtures.containerdDelta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.archive.EntryPolicy;
import dev.restoreshim.config.RestoreSettings;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.overlay.DeltaCache;
import dev.restoreshim.overlay.DeltaLayer;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.MountSpec;
import dev.restoreshim.process.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestorerTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;
    private final RestoreFixtures.RecordingMounts mounts = new RestoreFixtures.RecordingMounts();
    private DeltaCache cache;
    private Path bundle;
    private Path staging;
    private final List<CreateSpec> created = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        cache = DeltaCache.open(tmp.resolve("cache"), 0); // cap 0: an unleased delta is evicted at once
        bundle = bundle(tmp.resolve("bundle"), Map.of());
        staging = tmp.resolve("daemon/restore/k8s.io/app");
    }

    private Restorer restorer(long capBytes) {
        return new Restorer(new RestoreEnvironment(mounts, new RestoreFixtures.NoFsMounts(),
                new RestoreFixtures.InertFileOps(), cache, tmp.resolve("daemon/restore"), tmp.resolve("scratch"),
                capBytes, EntryPolicy.defaults(), DeltaLayer.Limits.DEFAULT));
    }

    /** A restorer that keeps deltas as EROFS images built by a fake mkfs.erofs. */
    private Restorer imageDeltaRestorer(FakeHost host) {
        return imageDeltaRestorer(host, DeltaLayer.IMAGE_MAX_PATHS);
    }

    private Restorer imageDeltaRestorer(FakeHost host, long maxImagePaths) {
        return new Restorer(new RestoreEnvironment(mounts, new RestoreFixtures.NoFsMounts(),
                new RestoreFixtures.InertFileOps(), cache, tmp.resolve("daemon/restore"), tmp.resolve("scratch"),
                8 * MIB, EntryPolicy.defaults(), DeltaLayer.Limits.DEFAULT, ImagePolicy.tmpfsOnly(),
                new DeltaStore(RestoreSettings.Delta.AUTO, new ErofsDelta(host.tool(Duration.ofSeconds(5)), "mkfs.erofs"),
                        "", maxImagePaths)));
    }

    private CreateSpec spec(String checkpoint) {
        var rootfs = new MountSpec("overlay", "overlay", "", List.of("index=off", "workdir=/snap/9/work",
                "upperdir=/snap/9/fs", "lowerdir=/snap/2/fs:/snap/1/fs"));
        return new CreateSpec("k8s.io", "app", bundle, List.of(rootfs), Stdio.none(), checkpoint, "");
    }

    private String create(CreateSpec s) {
        created.add(s);
        return "container";
    }

    private RestoreRequest archiveRequest(Path archive) {
        return new RestoreRequest(RestoreRequest.Origin.ANNOTATION, RestoreRequest.Source.ARCHIVE, archive);
    }

    @Test
    void archiveRestore_mountsDeltaOverImageLayers_stagesOnlyCheckpointImages_createsWithEmptyRootfs() throws IOException {
        Path archive = archive(tmp.resolve("x.tar"), 3 * 4096, containerdDelta());
        String key = ArchiveKey.of(archive);
        Path delta = cache.dir().resolve(DeltaCache.entryName(key));

        Restoration<String> r = restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create);

        assertEquals(List.of("mount overlay " + bundle.resolve("rootfs") + " lowerdir=" + delta
                + ":/snap/2/fs:/snap/1/fs,upperdir=/snap/9/fs,workdir=/snap/9/work,index=off",
                "mount tmpfs " + staging + " size=" + 8 * MIB + ",mode=0700"), mounts.calls());
        CreateSpec s = created.getFirst();
        assertEquals(List.of(), s.rootfs());
        assertEquals(staging.toString(), s.checkpoint());
        try (Stream<Path> files = Files.list(staging)) {
            assertEquals(List.of("inventory.img", "pages-1.img"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(3 * 4096, Files.size(staging.resolve("pages-1.img")));
        assertEquals("inventory", Files.readString(staging.resolve("inventory.img")), "copied from its offset");
        assertEquals("hello", Files.readString(delta.resolve("etc/written")));
        assertTrue(Files.exists(delta.resolve("etc/deleted")), "whiteout made for etc/.wh.deleted");
        assertFalse(r.timings().deltaCached());

        r.afterStart(5, true);
        assertEquals("unmount " + staging, mounts.calls().getLast());
        assertFalse(Files.exists(staging), "staging dir removed after start");
        assertTrue(Files.isDirectory(delta), "delta kept while the container runs");

        r.close();
        assertEquals("unmount " + bundle.resolve("rootfs"), mounts.calls().getLast());
        assertEquals(4, mounts.calls().size(), "staging is not unmounted twice");
        assertFalse(Files.exists(delta), "lease released: the unleased delta is evicted (cap 0)");
        assertEquals(5, r.timings().restoreMs());
    }

    @Test
    void imageDelta_builtFromTheLayerTar_mountedOnlyForTheOverlayMount() throws IOException {
        FakeHost host = new FakeHost();
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        Path image = cache.dir().resolve(DeltaCache.entryName(ArchiveKey.of(archive)) + ".erofs");
        Path at = tmp.resolve("daemon/restore/k8s.io/app.delta");

        Restoration<String> r = imageDeltaRestorer(host).restore(spec(""), archiveRequest(archive), this::create);

        assertEquals(1, host.spawned.size(), "one build");
        List<String> argv = host.spawned.getFirst();
        assertEquals(List.of("mkfs.erofs", "--quiet", "--tar=f", "--aufs"), argv.subList(0, 4));
        assertTrue(argv.getLast().startsWith(cache.dir().resolve(".tmp-" + image.getFileName()) + "-"),
                "built under a temporary name, renamed into place: " + argv);
        String tar = host.stdin.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(tar.contains("etc/written") && tar.contains("hello"), "the layer tar went to mkfs.erofs' stdin");
        assertEquals(List.of("mount erofs " + at + " ",
                "mount overlay " + bundle.resolve("rootfs") + " lowerdir=" + at
                        + ":/snap/2/fs:/snap/1/fs,upperdir=/snap/9/fs,workdir=/snap/9/work,index=off",
                "unmount " + at,
                "mount tmpfs " + staging + " size=" + 8 * MIB + ",mode=0700"), mounts.calls());
        assertFalse(Files.exists(at), "mount point removed");
        assertTrue(Files.isRegularFile(image), "the image is the cache entry");
        r.afterStart(1, true);
        r.close();
        assertEquals("unmount " + bundle.resolve("rootfs"), mounts.calls().getLast());
        assertEquals(1, mounts.calls().stream().filter(c -> c.equals("unmount " + at)).count(), "detached once");
        assertFalse(Files.exists(image), "lease released: the unleased image is evicted (cap 0)");
    }

    @Test
    void deltaWithTooManyPathsForAnImage_isExtractedIntoADirectory_andReusedAsOne() throws IOException {
        FakeHost host = new FakeHost();
        cache = DeltaCache.open(tmp.resolve("cache2"), Long.MAX_VALUE);
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        Path dir = cache.dir().resolve(DeltaCache.entryName(ArchiveKey.of(archive)));

        Restoration<String> r = imageDeltaRestorer(host, 2).restore(spec(""), archiveRequest(archive), this::create);

        assertEquals(1, host.killed.size(), "the image build was stopped: " + host.killed);
        assertEquals(List.of(DeltaCache.entryName(ArchiveKey.of(archive))), cache.entryNames(), "only the directory");
        assertEquals("hello", Files.readString(dir.resolve("etc/written")));
        assertTrue(mounts.calls().getFirst().startsWith("mount overlay " + bundle.resolve("rootfs") + " lowerdir=" + dir
                + ":"), mounts.calls().toString());
        assertFalse(r.timings().deltaCached());
        r.afterStart(1, true);
        r.close();

        Restoration<String> again = imageDeltaRestorer(host, 2).restore(spec(""), archiveRequest(archive), this::create);
        assertTrue(again.timings().deltaCached(), "the directory is found, no second try at an image");
        assertEquals(1, host.spawned.size());
        again.close();
    }

    @Test
    void imageDelta_overlayMountFails_imageMountDetached_nothingLeft() throws IOException {
        FakeHost host = new FakeHost();
        mounts.failing = "overlay"::equals;
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        Path at = tmp.resolve("daemon/restore/k8s.io/app.delta");

        var e = assertThrows(ShimException.class,
                () -> imageDeltaRestorer(host).restore(spec(""), archiveRequest(archive), this::create));

        assertEquals(ErrorKind.INTERNAL, e.kind(), e.getMessage());
        assertEquals(List.of("mount erofs " + at + " ", "failed mount overlay " + bundle.resolve("rootfs"),
                "unmount " + at), mounts.calls());
        assertFalse(Files.exists(at));
        assertEquals(List.of(), cache.entryNames(), "lease released, entry evicted (cap 0)");
        assertEquals(List.of(), created);
    }

    @Test
    void secondRestoreOfSameArchive_usesCachedDelta() throws IOException {
        cache = DeltaCache.open(tmp.resolve("cache2"), Long.MAX_VALUE);
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var first = restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create);
        first.afterStart(1, true);
        first.close();
        var second = restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create);
        assertTrue(second.timings().deltaCached());
        second.close();
    }

    @Test
    void imagesOverCap_refusedBeforeAnythingIsMounted() throws IOException {
        Path archive = archive(tmp.resolve("big.tar"), (int) (2 * MIB), containerdDelta());
        var e = assertThrows(ShimException.class,
                () -> restorer(MIB).restore(spec(""), archiveRequest(archive), this::create));
        assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind());
        assertTrue(e.getMessage().contains(archive + ": CRIU images need at least " + (2 * MIB + 4096)
                + " bytes, more than the staging tmpfs cap of " + MIB + " bytes"), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void compressedArchiveOverCap_refusedWhileStaging_andUndone() throws IOException {
        Path plain = archive(tmp.resolve("big.tar"), (int) (2 * MIB), containerdDelta());
        Path gz = tmp.resolve("big.tar.gz");
        Files.write(gz, RestoreFixtures.gzip(Files.readAllBytes(plain)));
        var e = assertThrows(ShimException.class,
                () -> restorer(MIB).restore(spec(""), archiveRequest(gz), this::create));
        assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind());
        assertEquals(List.of("unmount " + staging, "unmount " + bundle.resolve("rootfs")),
                mounts.calls().stream().filter(c -> c.startsWith("unmount")).toList());
        assertNothingLeft();
    }

    @Test
    void corruptArchive_failsAtIndex_leavesNothing() throws IOException {
        Path bad = tmp.resolve("bad.tar");
        Files.write(bad, new byte[]{1, 2, 3, 4, 5});
        var e = assertThrows(ShimException.class,
                () -> restorer(8 * MIB).restore(spec(""), archiveRequest(bad), this::create));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertEquals(List.of(), mounts.calls());
        assertNothingLeft();
    }

    @Test
    void archiveWithoutInventory_refusedAtIndex_nothingMounted() throws IOException {
        Path archive = withoutInventory(tmp.resolve("no-inventory.tar"));
        var e = assertThrows(ShimException.class,
                () -> restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(archive + ": no checkpoint/inventory.img"), e.getMessage());
        assertEquals(List.of(), mounts.calls());
        assertNothingLeft();
    }

    @Test
    void compressedArchiveWithoutInventory_refusedAfterStaging_andUndone() throws IOException {
        Path gz = tmp.resolve("no-inventory.tar.gz");
        Files.write(gz, RestoreFixtures.gzip(Files.readAllBytes(withoutInventory(tmp.resolve("no-inventory.tar")))));
        var e = assertThrows(ShimException.class,
                () -> restorer(8 * MIB).restore(spec(""), archiveRequest(gz), this::create));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(gz + ": no checkpoint/inventory.img"), e.getMessage());
        assertEquals(List.of("unmount " + staging, "unmount " + bundle.resolve("rootfs")),
                mounts.calls().stream().filter(c -> c.startsWith("unmount")).toList());
        assertNothingLeft();
    }

    @Test
    void gzipArchive_stagesTheDecompressedImages() throws IOException {
        Path plain = archive(tmp.resolve("x.tar"), 2 * 4096, containerdDelta());
        Path gz = Files.write(tmp.resolve("x.tar.gz"), RestoreFixtures.gzip(Files.readAllBytes(plain)));

        Restoration<String> r = restorer(8 * MIB).restore(spec(""), archiveRequest(gz), this::create);

        assertEquals("inventory", Files.readString(staging.resolve("inventory.img")));
        assertEquals(2 * 4096, Files.size(staging.resolve("pages-1.img")));
        r.afterStart(1, true);
        r.close();
        assertNothingLeft();
    }

    @Test
    void gzipArchiveWithBadCrc_refused_leavesNoCacheEntry() throws IOException {
        Path plain = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        byte[] gz = RestoreFixtures.gzip(Files.readAllBytes(plain));
        gz[gz.length - 8] ^= 0x01; // the CRC-32 in the trailer: the data itself decompresses fine
        Path bad = Files.write(tmp.resolve("bad-crc.tar.gz"), gz);
        var e = assertThrows(ShimException.class,
                () -> restorer(8 * MIB).restore(spec(""), archiveRequest(bad), this::create));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("read failed"), e.getMessage());
        assertNothingLeft();
    }

    private static Path withoutInventory(Path file) throws IOException {
        java.util.Map<String, byte[]> m = new java.util.LinkedHashMap<>();
        m.put("checkpoint/", new byte[0]);
        m.put("checkpoint/pages-1.img", new byte[4096]);
        m.put("rootfs-diff.tar", containerdDelta());
        m.put("status", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return Files.write(file, RestoreFixtures.tar(m));
    }

    @Test
    void corruptDelta_failsAtDelta_leavesNoCacheEntryAndNoMount() throws IOException {
        Path archive = archive(tmp.resolve("x.tar"), 4096, new byte[]{0x1f, (byte) 0x8b, 8, 0, 0, 0});
        var e = assertThrows(ShimException.class,
                () -> restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create));
        assertTrue(e.getMessage().startsWith("archive " + archive + ": "), "names the archive: " + e.getMessage());
        assertEquals(List.of(), mounts.calls());
        assertNothingLeft();
    }

    @Test
    void overlayMountFails_releasesLease() throws IOException {
        mounts.failing = "overlay"::equals;
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var e = assertThrows(ShimException.class,
                () -> restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create));
        assertTrue(e.getMessage().contains("overlay mount on " + bundle.resolve("rootfs")), e.getMessage());
        assertEquals(List.of("failed mount overlay " + bundle.resolve("rootfs")), mounts.calls());
        assertNothingLeft();
    }

    @Test
    void tmpfsMountFails_unmountsOverlay() throws IOException {
        mounts.failing = "tmpfs"::equals;
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        assertThrows(ShimException.class,
                () -> restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create));
        assertEquals("unmount " + bundle.resolve("rootfs"), mounts.calls().getLast());
        assertNothingLeft();
    }

    @Test
    void createFails_undoesStagingThenOverlayThenLease() throws IOException {
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var e = assertThrows(ShimException.class, () -> restorer(8 * MIB).restore(spec(""), archiveRequest(archive),
                s -> {
                    throw ShimException.failedPrecondition("runc says no");
                }));
        assertEquals("runc says no", e.getMessage());
        List<String> calls = mounts.calls();
        assertEquals(List.of("unmount " + staging, "unmount " + bundle.resolve("rootfs")),
                calls.subList(calls.size() - 2, calls.size()));
        assertNothingLeft();
    }

    @Test
    void imagesDirectory_passesThroughWithRequestRootfs() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("images"));
        var r = restorer(8 * MIB).restore(spec(""),
                new RestoreRequest(RestoreRequest.Origin.TASK_CHECKPOINT, RestoreRequest.Source.IMAGES_DIR, dir),
                this::create);
        assertEquals(dir.toString(), created.getFirst().checkpoint());
        assertEquals(1, created.getFirst().rootfs().size());
        assertEquals(List.of(), mounts.calls());
        r.afterStart(1, true);
        r.close();
    }

    @Test
    void readopt_afterDaemonRestart_leasesCachedDelta_andReleasesOverlayAndLeaseAtClose() throws IOException {
        Path dir = tmp.resolve("cache-restart");
        cache = DeltaCache.open(dir, Long.MAX_VALUE);
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        restorer(8 * MIB).restore(spec(""), archiveRequest(archive), this::create).afterStart(1, true);
        Path delta = dir.resolve(DeltaCache.entryName(ArchiveKey.of(archive)));

        cache = DeltaCache.open(dir, 5); // the daemon restarts; a cap of one delta (5 bytes)
        mounts.calls.clear();
        Restoration<String> adopted = restorer(8 * MIB).readopt(spec(""), archiveRequest(archive), "adopted");
        assertEquals(List.of(), mounts.calls(), "nothing mounted or unmounted at adoption");

        Path other = archive(tmp.resolve("y.tar"), 4096, containerdDelta());
        bundle = bundle(tmp.resolve("bundle2"), Map.of());
        restorer(8 * MIB).restore(spec(""), archiveRequest(other), this::create);
        assertTrue(Files.isDirectory(delta), "over the cap, but the adopted container's delta is leased");

        adopted.close();
        assertEquals("unmount " + tmp.resolve("bundle/rootfs"), mounts.calls().getLast());
        assertFalse(Files.exists(delta), "released at Delete: evicted (over the cap)");
    }

    @Test
    void readopt_removesTheTasksScratchDirsAfterTheOverlay_atClose() throws IOException {
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        Path mine = Files.createDirectories(tmp.resolve("scratch/k8s.io-app-18f2a/upper"));
        Path longerId = Files.createDirectories(tmp.resolve("scratch/k8s.io-app-2-18f2b"));

        Restoration<String> adopted = restorer(8 * MIB).readopt(spec(""), archiveRequest(archive), "adopted");
        assertTrue(Files.isDirectory(mine), "kept while the adopted container runs");
        adopted.close();

        assertFalse(Files.exists(mine.getParent()), "removed at Delete");
        assertTrue(Files.isDirectory(longerId), "task app-2's");
    }

    @Test
    void removeScratchExcept_removesThoseOfTasksNotAdopted() throws IOException {
        Path kept = Files.createDirectories(tmp.resolve("scratch/k8s.io-app-18f2a/upper"));
        Path gone = Files.createDirectories(tmp.resolve("scratch/k8s.io-app-2-18f2b/work"));
        Path otherNs = Files.createDirectories(tmp.resolve("scratch/default-app-18f2c"));

        restorer(8 * MIB).removeScratchExcept(List.of(new ContainerRecord("k8s.io", "app", bundle, 4242,
                Stdio.none(), false)));

        assertTrue(Files.isDirectory(kept));
        assertFalse(Files.exists(gone.getParent()));
        assertFalse(Files.exists(otherNs));
    }

    @Test
    void removeScratchExcept_withoutScratchRoot_doesNothing() {
        restorer(8 * MIB).removeScratchExcept(List.of());
        assertFalse(Files.exists(tmp.resolve("scratch")));
    }

    @Test
    void isScratchOf_needsTheHexSuffixOfThatTask() {
        assertTrue(Restorer.isScratchOf("k8s.io-app-18f2a", "k8s.io", "app"));
        assertFalse(Restorer.isScratchOf("k8s.io-app-2-18f2b", "k8s.io", "app"));
        assertFalse(Restorer.isScratchOf("k8s.io-app-", "k8s.io", "app"));
        assertFalse(Restorer.isScratchOf("k8s.io-app-18F2A", "k8s.io", "app"));
        assertFalse(Restorer.isScratchOf("k8s.io-apple-1", "k8s.io", "app"));
    }

    /** No mount left mounted, no staging dir, no cache entry (complete or temporary). */
    private void assertNothingLeft() throws IOException {
        List<String> calls = mounts.calls();
        for (String c : calls) {
            if (c.startsWith("mount ")) {
                String target = c.split(" ")[2];
                assertTrue(calls.contains("unmount " + target), target + " left mounted: " + calls);
            }
        }
        assertFalse(Files.exists(staging), "staging dir left");
        try (Stream<Path> entries = Files.list(cache.dir())) {
            assertEquals(List.of(), entries.toList(), "cache entries left");
        }
    }
}
