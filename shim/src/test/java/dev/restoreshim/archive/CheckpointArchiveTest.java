package dev.restoreshim.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointArchiveTest {
    @TempDir
    Path dir;

    private static final List<String> IMAGES = List.of("inventory.img", "pstree.img", "core-1.img", "mm-1.img",
            "pagemap-1.img", "pages-1.img", "pages-2.img", "descriptors.json");

    @Test
    void containerd_isIndexed_andSummarized() {
        Path file = CheckpointFixtures.containerd(dir);
        try (CheckpointArchive a = CheckpointArchive.open(file, EntryPolicy.defaults())) {
            assertTrue(a.indexed());
            assertEquals(Compression.NONE, a.compression());
            CheckpointSummary s = a.summary(false);
            assertEquals(ArchiveFlavour.CONTAINERD, s.flavour());
            ContainerInfo c = s.container();
            assertEquals("4f1c0de", c.id());
            assertEquals("fill_pod-a_default_1234_0", c.name());
            assertEquals("fill", c.displayName());
            assertEquals("localhost:5000/fill:1", c.rootfsImageName());
            assertEquals("sha256:aaaa", c.rootfsImageRef());
            assertEquals("io.containerd.runc.v2", c.runtime());
            assertEquals("2026-11-23T10:00:00Z", c.createdTime());
            assertEquals("2026-11-23T10:05:00Z", c.checkpointedTime());
            assertEquals(List.of("/fill", "64"), c.args());
            assertEquals("/work", c.cwd());
            assertEquals("pod-a", c.annotations().get("io.kubernetes.cri.sandbox-name"));
            assertEquals("4.1.1", s.criuVersion());
            assertEquals(1, s.imageFormatVersion());
            assertEquals(null, s.dumpStats(), "the fixture's stats-dump is random bytes");
            assertEquals(CheckpointFixtures.PAGES + CheckpointFixtures.PAGES_2, s.pagesBytes());
            assertEquals(IMAGES, s.images().stream().map(CriuImageFile::name).toList());
            assertTrue(s.hasInventory());
            DeltaSummary d = s.delta();
            assertTrue(d.present());
            assertEquals(DeltaFormat.OCI_LAYER, d.format());
            assertEquals(Compression.GZIP, d.compression());
            assertEquals(a.index().entry("rootfs-diff.tar").orElseThrow().size(), d.size());
            assertFalse(d.counted(), "a gzip delta is not decompressed by default");
            assertEquals(List.of(), s.warnings());
        }
    }

    @Test
    void containerd_gzipDelta_countedOnRequest() {
        try (CheckpointArchive a = CheckpointArchive.open(CheckpointFixtures.containerd(dir), EntryPolicy.defaults())) {
            DeltaSummary d = a.summary(true).delta();
            assertEquals(6, d.fileCount());
            assertEquals("written after start\n".length(), d.contentBytes());
            assertEquals(2, d.deletions(), "one whiteout and one opaque marker");
        }
    }

    @Test
    void crio_plainDelta_indexedInPlace() {
        try (CheckpointArchive a = CheckpointArchive.open(CheckpointFixtures.crio(dir), EntryPolicy.defaults())) {
            CheckpointSummary s = a.summary(false);
            assertEquals(ArchiveFlavour.CRI_O, s.flavour());
            assertEquals("k8s_app_pod", s.container().name());
            assertEquals("runc", s.container().runtime());
            DeltaSummary d = s.delta();
            assertEquals(DeltaFormat.PLAIN_TAR, d.format());
            assertEquals(Compression.NONE, d.compression());
            assertEquals(3, d.fileCount());
            assertEquals(1001, d.contentBytes());
            assertEquals(2, d.deletions());
            assertEquals(CheckpointFixtures.PAGES + CheckpointFixtures.PAGES_2, s.pagesBytes());
        }
    }

    @Test
    void podman_zstd_isStreamedOnce() {
        Path file = CheckpointFixtures.podman(dir);
        try (CheckpointArchive a = CheckpointArchive.open(file, EntryPolicy.defaults())) {
            assertFalse(a.indexed());
            assertEquals(Compression.ZSTD, a.compression());
            assertEquals(ErrorKind.FAILED_PRECONDITION, assertThrows(ShimException.class, a::index).kind());
            CheckpointSummary s = a.summary(false);
            assertEquals(ArchiveFlavour.PODMAN, s.flavour());
            assertEquals("web", s.container().name());
            assertEquals("1234abcd", s.container().rootfsImage());
            assertEquals("docker.io/library/nginx:latest", s.container().rootfsImageName());
            assertEquals("crun", s.container().runtime());
            assertEquals(List.of("nginx", "-g", "daemon off;"), s.container().args());
            assertEquals(IMAGES, s.images().stream().map(CriuImageFile::name).toList());
            assertEquals(CheckpointFixtures.PAGES + CheckpointFixtures.PAGES_2, s.pagesBytes());
            assertEquals(DeltaFormat.PLAIN_TAR, s.delta().format());
            assertEquals(1, s.delta().fileCount(), "a plain delta is counted while streaming anyway");
            assertEquals(1, s.delta().deletions());
            assertEquals("", s.criuVersion(), "no dump.log in this export");
        }
    }

    @Test
    void gzipOuter_containerdLayout_deltaNotCounted() {
        byte[] tar = java.util.Arrays.copyOf(new byte[0], 0);
        try {
            tar = java.nio.file.Files.readAllBytes(CheckpointFixtures.containerd(dir));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        Path gz = CheckpointFixtures.write(dir.resolve("c.tar.gz"), TarBuilder.gzip(tar));
        try (CheckpointArchive a = CheckpointArchive.open(gz, EntryPolicy.defaults())) {
            assertEquals(Compression.GZIP, a.compression());
            CheckpointSummary s = a.summary(true);
            assertEquals(ArchiveFlavour.CONTAINERD, s.flavour());
            assertFalse(s.delta().counted(), "gzip delta inside a compressed archive: size only");
            assertTrue(s.delta().size() > 0);
        }
    }

    @Test
    void forEach_compressed_handsOnlyWantedEntriesWithTheirBytes() {
        Path file = CheckpointFixtures.podman(dir);
        Map<String, byte[]> got = new LinkedHashMap<>();
        try (CheckpointArchive a = CheckpointArchive.open(file, EntryPolicy.defaults())) {
            a.forEach(e -> e.isFile() && e.isUnder("checkpoint"), (e, data) -> got.put(e.name(), data.readAllBytes()));
            assertEquals(IMAGES.stream().map(n -> "checkpoint/" + n).toList(), new ArrayList<>(got.keySet()));
            assertArrayEquals(CheckpointFixtures.random(CheckpointFixtures.PAGES, 5), got.get("checkpoint/pages-1.img"));
            assertArrayEquals(CheckpointFixtures.inventory(), got.get("checkpoint/inventory.img"));
            // a second pass works as well (the archive rewinds)
            List<String> second = new ArrayList<>();
            a.forEach(e -> e.name().equals("spec.dump"), (e, data) -> second.add(new String(data.readAllBytes())));
            assertEquals(1, second.size());
        }
    }

    @Test
    void forEach_indexed_readsByOffset() {
        try (CheckpointArchive a = CheckpointArchive.open(CheckpointFixtures.crio(dir), EntryPolicy.defaults())) {
            List<byte[]> pages = new ArrayList<>();
            a.forEach(e -> e.name().equals("checkpoint/pages-2.img"), (e, d) -> pages.add(d.readAllBytes()));
            assertArrayEquals(CheckpointFixtures.random(CheckpointFixtures.PAGES_2, 6), pages.getFirst());
        }
    }

    @Test
    void forEachDeltaEntry_allThreeFlavours() {
        Map<String, List<String>> seen = new LinkedHashMap<>();
        for (Path file : List.of(CheckpointFixtures.containerd(dir), CheckpointFixtures.crio(dir), CheckpointFixtures.podman(dir))) {
            try (CheckpointArchive a = CheckpointArchive.open(file, EntryPolicy.defaults())) {
                List<String> names = new ArrayList<>();
                DeltaFormat format = a.summary(false).flavour().deltaFormat();
                assertTrue(a.forEachDeltaEntry(format, e -> true, (e, d) -> names.add(e.name() + ":" + d.readAllBytes().length)));
                seen.put(file.getFileName().toString(), names);
            }
        }
        assertEquals(List.of("data:0", "data/written.txt:20", "etc/.wh.removed:0", "usr/share:0", "usr/share/.wh..wh..opq:0",
                "data/current:0"), seen.get("containerd.tar"));
        assertEquals(List.of("var/lib/app:0", "var/lib/app/state:1000", "tmp/x:1"), seen.get("crio.tar"));
        assertEquals(List.of("etc/nginx/conf.d/x.conf:10"), seen.get("podman.tar.zst"));
    }

    @Test
    void deletedFiles_areParsedAndNormalized() {
        assertEquals(List.of("etc/motd", "usr/share/doc"),
                DeletedFiles.parse("a", "[\"/etc/motd\", \"usr/share/doc/\"]", EntryPolicy.defaults()));
        assertEquals(ErrorKind.INVALID_ARGUMENT, assertThrows(ShimException.class,
                () -> DeletedFiles.parse("a", "{\"x\":1}", EntryPolicy.defaults())).kind());
    }

    @Test
    void deletedFiles_fromArchive_plainAndCompressed() {
        try (CheckpointArchive crio = CheckpointArchive.open(CheckpointFixtures.crio(dir), EntryPolicy.defaults());
             CheckpointArchive podman = CheckpointArchive.open(CheckpointFixtures.podman(dir), EntryPolicy.defaults());
             CheckpointArchive containerd = CheckpointArchive.open(CheckpointFixtures.containerd(dir), EntryPolicy.defaults())) {
            assertEquals(List.of("etc/motd", "usr/share/doc"), crio.deletedFiles());
            assertEquals(List.of("etc/nginx/conf.d/default.conf"), podman.deletedFiles());
            assertEquals(List.of(), containerd.deletedFiles());
        }
    }

    @Test
    void missingFile_isNotFound() {
        ShimException e = assertThrows(ShimException.class, () -> CheckpointArchive.open(dir.resolve("nope.tar"), EntryPolicy.defaults()));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("nope.tar"));
    }

    @Test
    void missingInventory_isWarned() {
        Path file = CheckpointFixtures.write(dir.resolve("noinv.tar"),
                new TarBuilder().file("checkpoint/pages-1.img", new byte[10]).file("status", "").build());
        try (CheckpointArchive a = CheckpointArchive.open(file, EntryPolicy.defaults())) {
            CheckpointSummary s = a.summary(false);
            assertFalse(s.hasInventory());
            assertTrue(s.warnings().getFirst().contains("inventory.img is missing"), s.warnings().toString());
        }
    }
}
