package dev.restoreshim.restore;

import static dev.restoreshim.restore.RestoreFixtures.archive;
import static dev.restoreshim.restore.RestoreFixtures.bundle;
import static dev.restoreshim.restore.RestoreFixtures.containerdDelta;
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
import dev.restoreshim.sys.BackingDevices;
import dev.restoreshim.sys.SysfsBackingDevices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archive restores through {@link ErofsImages}, with recording fakes of mount and the launcher. */
class ErofsRestoreTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;
    private final RestoreFixtures.RecordingMounts mounts = new RestoreFixtures.RecordingMounts();
    private final FakeHost host = new FakeHost();
    private final List<CreateSpec> created = new ArrayList<>();
    private DeltaCache cache;
    private ErofsMetadata metadata;
    private Path bundle;
    private Path mountPoint;

    @BeforeEach
    void setUp() throws IOException {
        cache = DeltaCache.open(tmp.resolve("cache"), Long.MAX_VALUE);
        metadata = ErofsMetadata.open(tmp.resolve("erofs"), Long.MAX_VALUE, host.tool(Duration.ofSeconds(5)), "mkfs.erofs");
        bundle = bundle(tmp.resolve("bundle"), Map.of());
        mountPoint = tmp.resolve("daemon/restore/k8s.io/app");
    }

    private Restorer restorer(ImageChoice choice, long capBytes) {
        return restorer(choice, capBytes, null);
    }

    private Restorer restorer(ImageChoice choice, long capBytes, BackingDevices bdis) {
        return new Restorer(new RestoreEnvironment(mounts, new RestoreFixtures.NoFsMounts(),
                new RestoreFixtures.InertFileOps(), cache, tmp.resolve("daemon/restore"), tmp.resolve("scratch"),
                capBytes, EntryPolicy.defaults(), DeltaLayer.Limits.DEFAULT,
                new ImagePolicy(choice, metadata, "", host, bdis)));
    }

    private CreateSpec spec() {
        var rootfs = new MountSpec("overlay", "overlay", "", List.of("workdir=/snap/9/work", "upperdir=/snap/9/fs",
                "lowerdir=/snap/1/fs"));
        return new CreateSpec("k8s.io", "app", bundle, List.of(rootfs), Stdio.none(), "", "");
    }

    private Restoration<String> restore(Restorer r, Path archive) {
        return r.restore(spec(), new RestoreRequest(RestoreRequest.Origin.ANNOTATION, RestoreRequest.Source.ARCHIVE,
                archive), s -> {
                    created.add(s);
                    return "container";
                });
    }

    @Test
    void plainArchive_mountsErofsInPlace_noTmpfs_noCap_releasedAfterStart() throws Exception {
        Path archive = archive(tmp.resolve("x.tar"), (int) (2 * MIB), containerdDelta());
        Path meta = metadata.dir().resolve(DeltaCache.entryName(ArchiveKey.of(archive)) + ErofsMetadata.SUFFIX);

        Restoration<String> r = restore(restorer(ImageChoice.AUTO, MIB), archive); // images over the 1 MiB tmpfs cap

        assertEquals("mount erofs " + mountPoint + " device=" + archive + ",directio", mounts.calls().getLast());
        assertEquals(mountPoint.resolve("checkpoint").toString(), created.getFirst().checkpoint());
        assertEquals(List.of(List.of("mkfs.erofs", "--quiet", "--tar=i",
                host.spawned.getFirst().get(3), archive.toString())), host.spawned);
        assertTrue(Files.isRegularFile(meta), "metadata cached under its archive key");
        assertEquals(0, r.timings().stagedBytes(), "nothing staged in tmpfs");
        assertTrue(mounts.calls().stream().noneMatch(c -> c.startsWith("mount tmpfs")), mounts.calls().toString());

        r.afterStart(3, true);
        assertEquals("unmount " + mountPoint, mounts.calls().getLast());
        assertFalse(Files.exists(mountPoint), "mount point removed after start");
        r.close();
        assertEquals("unmount " + bundle.resolve("rootfs"), mounts.calls().getLast());
    }

    @Test
    void erofsMount_widensTheReadaheadOfTheBdiEntryItAdded_onlyWhenThatEntryIsKnown() throws Exception {
        Path bdiRoot = Files.createDirectories(tmp.resolve("bdi"));
        for (String name : List.of("7:0", "erofs-4")) {
            Files.writeString(Files.createDirectories(bdiRoot.resolve(name)).resolve("read_ahead_kb"), "128");
        }
        int[] next = {5};
        int[] perMount = {1};
        mounts.afterMount = fstype -> {
            for (int i = 0; fstype.equals("erofs") && i < perMount[0]; i++) { // what the kernel adds per superblock
                try {
                    Files.writeString(Files.createDirectories(bdiRoot.resolve("erofs-" + next[0]++))
                            .resolve("read_ahead_kb"), "128");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        Path archive = archive(tmp.resolve("x.tar"), (int) MIB, containerdDelta());
        Restorer r = restorer(ImageChoice.AUTO, MIB, new SysfsBackingDevices(bdiRoot));

        restore(r, archive).afterStart(1, true);
        assertEquals("1024", Files.readString(bdiRoot.resolve("erofs-5/read_ahead_kb")), "the new entry");
        assertEquals("128", Files.readString(bdiRoot.resolve("erofs-4/read_ahead_kb")), "another mount's entry");

        perMount[0] = 2; // someone else's EROFS appeared at the same moment: which one is ours is unknown
        created.clear();
        restore(r, archive).afterStart(1, true);
        assertEquals("128", Files.readString(bdiRoot.resolve("erofs-6/read_ahead_kb")));
        assertEquals("128", Files.readString(bdiRoot.resolve("erofs-7/read_ahead_kb")));
    }

    @Test
    void kernelWithoutErofsDirectio_mountRetriedWithoutIt() throws Exception {
        Path archive = archive(tmp.resolve("x.tar"), (int) MIB, containerdDelta());
        mounts.unknownOption = data -> data.contains("directio");

        restore(restorer(ImageChoice.AUTO, MIB), archive);

        List<String> erofs = mounts.calls().stream().filter(c -> c.contains(" erofs ")).toList();
        assertEquals(List.of("refused mount erofs " + mountPoint + " device=" + archive + ",directio",
                "mount erofs " + mountPoint + " device=" + archive), erofs);
        assertEquals(mountPoint.resolve("checkpoint").toString(), created.getFirst().checkpoint());
    }

    @Test
    void readahead_advisesPageImagesOnly_inChunks() throws Exception {
        Path archive = archive(tmp.resolve("x.tar"), (int) (PageReadahead.CHUNK + 4096), containerdDelta());
        Restoration<String> r = restore(restorer(ImageChoice.AUTO, MIB), archive);
        for (int i = 0; i < 100 && host.advised().size() < 2; i++) {
            Thread.sleep(20);
        }
        assertEquals(List.of("pages-1.img@0+" + PageReadahead.CHUNK, "pages-1.img@" + PageReadahead.CHUNK + "+4096"),
                host.advised());
        r.afterStart(1, true);
        r.close();
    }

    @Test
    void secondRestore_reusesMetadata_runsMkfsOnce() throws Exception {
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var first = restore(restorer(ImageChoice.AUTO, MIB), archive);
        first.afterStart(1, true);
        first.close();
        bundle = bundle(tmp.resolve("bundle2"), Map.of());
        var second = restore(restorer(ImageChoice.AUTO, MIB), archive);
        assertEquals(1, host.spawned.size(), "mkfs.erofs ran once for one archive");
        assertTrue(second.timings().deltaCached());
        second.afterStart(1, true);
        second.close();
    }

    @Test
    void tmpfsChoice_stagesEvenPlainArchive() throws Exception {
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var r = restore(restorer(ImageChoice.TMPFS, 8 * MIB), archive);
        assertEquals("mount tmpfs " + mountPoint + " size=" + 8 * MIB + ",mode=0700", mounts.calls().getLast());
        assertEquals(List.of(), host.spawned);
        assertEquals(4096 + 4096, r.timings().stagedBytes());
        r.afterStart(1, true);
        r.close();
    }

    @Test
    void gzipArchive_autoFallsBackToTmpfs_erofsChoiceRefuses() throws Exception {
        Path plain = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        Path gz = tmp.resolve("x.tar.gz");
        Files.write(gz, RestoreFixtures.gzip(Files.readAllBytes(plain)));
        var r = restore(restorer(ImageChoice.AUTO, 8 * MIB), gz);
        assertTrue(mounts.calls().getLast().startsWith("mount tmpfs "), mounts.calls().toString());
        r.afterStart(1, true);
        r.close();

        mounts.calls.clear();
        var e = assertThrows(ShimException.class, () -> restore(restorer(ImageChoice.EROFS, 8 * MIB), gz));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("gzip-compressed; only an uncompressed tar can be mounted in place"), e.getMessage());
        assertEquals(List.of(), mounts.calls());
    }

    @Test
    void erofsChoiceOnHostWithoutErofs_refusedNamingReason() throws Exception {
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var r = new Restorer(new RestoreEnvironment(mounts, new RestoreFixtures.NoFsMounts(),
                new RestoreFixtures.InertFileOps(), cache, tmp.resolve("daemon/restore"), tmp.resolve("scratch"),
                MIB, EntryPolicy.defaults(), DeltaLayer.Limits.DEFAULT,
                new ImagePolicy(ImageChoice.EROFS, null, "mkfs.erofs (erofs-utils) is not on PATH", null)));
        var e = assertThrows(ShimException.class, () -> restore(r, archive));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().endsWith("EROFS cannot be used here: mkfs.erofs (erofs-utils) is not on PATH"),
                e.getMessage());
    }

    @Test
    void symlinkImage_refusedBeforeAnythingIsMounted() throws Exception {
        Path archive = tmp.resolve("evil.tar");
        try (var out = new TarArchiveOutputStream(Files.newOutputStream(archive))) {
            file(out, "checkpoint/inventory.img", "inv");
            var link = new TarArchiveEntry("checkpoint/pages-1.img", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("/etc/shadow");
            out.putArchiveEntry(link);
            out.closeArchiveEntry();
        }
        var e = assertThrows(ShimException.class, () -> restore(restorer(ImageChoice.AUTO, MIB), archive));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertEquals("archive " + archive + ": entry \"checkpoint/pages-1.img\": a CRIU image must be a regular file,"
                + " not symlink", e.getMessage());
        assertEquals(List.of(), mounts.calls());
        assertEquals(List.of(), host.spawned);
    }

    @Test
    void missingInventory_refused() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("checkpoint/pages-1.img", new byte[4096]);
        Path archive = tmp.resolve("noinv.tar");
        Files.write(archive, RestoreFixtures.tar(m));
        var e = assertThrows(ShimException.class, () -> restore(restorer(ImageChoice.AUTO, MIB), archive));
        assertTrue(e.getMessage().contains("no checkpoint/inventory.img"), e.getMessage());
    }

    @Test
    void mkfsFails_undoesOverlayAndLease_namesArchive() throws Exception {
        host.exitCode = 1;
        host.stderr = "<E> erofs: something broke\n";
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var e = assertThrows(ShimException.class, () -> restore(restorer(ImageChoice.AUTO, MIB), archive));
        assertEquals("restore: index archive " + archive + " for EROFS: mkfs.erofs failed (exit 1): "
                + "<E> erofs: something broke", e.getMessage());
        assertEquals("unmount " + bundle.resolve("rootfs"), mounts.calls().getLast());
        assertEquals(List.of(), metadata.names());
        try (var left = Files.list(metadata.dir())) {
            assertEquals(List.of(), left.toList(), "no half-written metadata or stderr file");
        }
    }

    @Test
    void erofsMountFails_removesMountPoint_undoesOverlay() throws Exception {
        mounts.failing = "erofs"::equals;
        Path archive = archive(tmp.resolve("x.tar"), 4096, containerdDelta());
        var e = assertThrows(ShimException.class, () -> restore(restorer(ImageChoice.AUTO, MIB), archive));
        assertTrue(e.getMessage().startsWith("restore: mount archive " + archive + " as erofs"), e.getMessage());
        // the fake fails with EINVAL, which is also how a kernel refuses directio: tried once without it
        assertEquals(List.of("failed mount erofs " + mountPoint, "failed mount erofs " + mountPoint,
                "unmount " + bundle.resolve("rootfs")), mounts.calls().subList(1, 4));
        assertFalse(Files.exists(mountPoint));
    }

    @Test
    void metadataCache_evictsLeastRecentlyUsed_overCap() throws Exception {
        host.output = new byte[100];
        var small = ErofsMetadata.open(tmp.resolve("small"), 150, host.tool(Duration.ofSeconds(5)), "mkfs.erofs");
        small.forArchive("sha256:" + "a".repeat(64), tmp.resolve("a.tar"));
        small.forArchive("sha256:" + "b".repeat(64), tmp.resolve("b.tar"));
        assertEquals(List.of("sha256-" + "b".repeat(64) + ".erofs"), small.names());
        assertFalse(Files.exists(tmp.resolve("small/sha256-" + "a".repeat(64) + ".erofs")));
    }

    @Test
    void erofsMissing_probesKernelAndPath() throws Exception {
        Path fs = Files.writeString(tmp.resolve("filesystems"), "nodev\ttmpfs\n\text4\n");
        assertTrue(ImagePolicy.erofsMissing(fs, "/usr/bin").contains("no erofs filesystem"));
        Files.writeString(fs, "nodev\ttmpfs\n\terofs\n");
        assertEquals("mkfs.erofs (erofs-utils) is not on PATH", ImagePolicy.erofsMissing(fs, tmp.toString()));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.writeString(bin.resolve("mkfs.erofs"), "#!/bin/sh\n");
        bin.resolve("mkfs.erofs").toFile().setExecutable(true);
        assertEquals("", ImagePolicy.erofsMissing(fs, "/nonexistent:" + bin));
    }

    private static void file(TarArchiveOutputStream out, String name, String content) throws IOException {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        var e = new TarArchiveEntry(name);
        e.setSize(data.length);
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
    }
}
