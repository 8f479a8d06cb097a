package dev.restoreshim.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaCacheTest {
    private static final String A = "sha256:" + "a".repeat(64);
    private static final String B = "sha256:" + "b".repeat(64);
    private static final String C = "sha256:" + "c".repeat(64);
    private static final String D = "sha256:" + "d".repeat(64);

    @TempDir
    Path tmp;

    private static DeltaCache.LayerWriter bytes(int n) {
        return dir -> Files.write(dir.resolve("data"), new byte[n]);
    }

    @Test
    void concurrentAcquires_ofOneDigest_extractOnce() throws Exception {
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 1 << 20);
        AtomicInteger extractions = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DeltaCache.LayerWriter slow = dir -> {
            extractions.incrementAndGet();
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            Files.writeString(dir.resolve("hello"), "world");
        };
        int n = 8;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<DeltaCache.Lease>> leases = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                leases.add(ex.submit(() -> cache.acquire(A, slow)));
            }
            assertTrue(started.await(5, TimeUnit.SECONDS));
            Thread.sleep(100); // let the others reach the wait
            assertFalse(Files.exists(tmp.resolve("cache").resolve(DeltaCache.entryName(A))), "not visible half-written");
            release.countDown();
            List<Path> paths = new ArrayList<>();
            for (Future<DeltaCache.Lease> f : leases) {
                DeltaCache.Lease l = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> f.get());
                paths.add(l.path());
                assertEquals("world", Files.readString(l.path().resolve("hello")));
                l.close();
            }
            assertEquals(1, extractions.get());
            assertEquals(1, paths.stream().distinct().count());
            assertEquals(tmp.resolve("cache/sha256-" + "a".repeat(64)), paths.getFirst());
        }
        assertEquals(List.of("sha256-" + "a".repeat(64)), names(tmp.resolve("cache")));
    }

    @Test
    void failedExtraction_failsEveryWaiter_andLeavesNothing() throws Exception {
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 1 << 20);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DeltaCache.LayerWriter failing = dir -> {
            Files.writeString(dir.resolve("partial"), "x");
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            throw ShimException.invalidArgument("delta layer: entry \"../x\": \"..\" leaves the layer");
        };
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> first = ex.submit(() -> cache.acquire(A, failing));
            assertTrue(started.await(5, TimeUnit.SECONDS));
            Future<?> second = ex.submit(() -> cache.acquire(A, failing));
            Thread.sleep(100);
            release.countDown();
            for (Future<?> f : List.of(first, second)) {
                var e = assertThrows(Exception.class, f::get);
                ShimException s = (ShimException) e.getCause();
                assertEquals(ErrorKind.INVALID_ARGUMENT, s.kind());
                assertTrue(s.getMessage().contains("../x"), s.getMessage());
            }
        }
        assertEquals(List.of(), names(tmp.resolve("cache")), "no entry, no temp dir");
        assertEquals(List.of(), cache.entryNames());
        try (DeltaCache.Lease l = cache.acquire(A, bytes(3))) {
            assertTrue(Files.exists(l.path().resolve("data")), "a later acquire extracts again");
        }
    }

    @Test
    void hostileDelta_throughTheCache_leavesNoEntry() throws Exception {
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 1 << 20);
        DeltaLayer layer = new DeltaLayer(new RecordingFileOps(), DeltaLayer.Limits.DEFAULT);
        byte[] tar = new TarBuilder().file("ok", "fine").symlink("etc", "/etc").file("etc/passwd", "owned").bytes();
        ShimException e = assertThrows(ShimException.class, () -> cache.acquire(A, dir -> layer.extract(
                new java.io.ByteArrayInputStream(tar), List.of(), dir, LowerDirs.NONE)));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("\"etc/passwd\""), e.getMessage());
        assertEquals(List.of(), names(tmp.resolve("cache")));
        assertEquals(0, cache.sizeBytes());
    }

    @Test
    void eviction_isLeastRecentlyUsed_andSkipsLeasedEntries() throws Exception {
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 250);
        DeltaCache.Lease a = cache.acquire(A, bytes(100)); // oldest, but kept leased
        cache.acquire(B, bytes(100)).close();
        cache.acquire(C, bytes(100)).close(); // 300 > 250: B is the LRU entry without a lease
        assertEquals(List.of(DeltaCache.entryName(A), DeltaCache.entryName(C)), cache.entryNames());
        assertFalse(Files.exists(tmp.resolve("cache").resolve(DeltaCache.entryName(B))));
        assertEquals(200, cache.sizeBytes());
        cache.acquire(C, bytes(999)).close(); // a hit: no extraction, C becomes most recently used
        assertEquals(200, cache.sizeBytes());
        DeltaCache.Lease d = cache.acquire(D, bytes(100)); // 300: A leased, C unleased -> C goes
        assertEquals(List.of(DeltaCache.entryName(A), DeltaCache.entryName(D)), cache.entryNames());
        a.close();
        a.close(); // idempotent: the count must not go negative
        assertEquals(200, cache.sizeBytes());
        d.close();
        assertTrue(Files.exists(a.path().resolve("data")), "under the cap nothing more is evicted");
        assertEquals(List.of(DeltaCache.entryName(A), DeltaCache.entryName(D)), names(tmp.resolve("cache")));
    }

    @Test
    void allLeased_overTheCap_evictsOnRelease() throws Exception {
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 150);
        DeltaCache.Lease a = cache.acquire(A, bytes(100));
        DeltaCache.Lease b = cache.acquire(B, bytes(100));
        assertEquals(200, cache.sizeBytes(), "leased entries stay even over the cap");
        a.close();
        assertEquals(List.of(DeltaCache.entryName(B)), cache.entryNames());
        b.close();
    }

    @Test
    void open_removesCrashLeftovers_andIndexesCompleteEntries() throws Exception {
        Path dir = tmp.resolve("cache");
        Files.createDirectories(dir.resolve(".tmp-" + DeltaCache.entryName(A) + "-123/usr"));
        Files.writeString(dir.resolve(".tmp-" + DeltaCache.entryName(A) + "-123/usr/half"), "x");
        Files.createDirectories(dir.resolve(".del-" + DeltaCache.entryName(C) + "-9"));
        Path complete = Files.createDirectories(dir.resolve(DeltaCache.entryName(B)));
        Files.write(complete.resolve("f"), new byte[42]);
        DeltaCache cache = DeltaCache.open(dir, 1 << 20);
        assertEquals(List.of(DeltaCache.entryName(B)), names(dir));
        assertEquals(List.of(DeltaCache.entryName(B)), cache.entryNames());
        assertEquals(42, cache.sizeBytes());
        AtomicInteger extractions = new AtomicInteger();
        try (DeltaCache.Lease l = cache.acquire(B, d -> extractions.incrementAndGet())) {
            assertEquals(complete, l.path());
        }
        assertEquals(0, extractions.get(), "a complete entry from before is reused");
    }

    @Test
    void erofsEntries_areFiles_keptBesideDirectories_indexedAtOpen_evictedByDeletingTheFile() throws Exception {
        Path dir = tmp.resolve("cache");
        DeltaCache cache = DeltaCache.open(dir, 1 << 20);
        try (DeltaCache.Lease image = cache.acquire(A, DeltaCache.Format.EROFS, p -> Files.write(p, new byte[300]))) {
            assertEquals(dir.resolve(DeltaCache.entryName(A) + ".erofs"), image.path());
            assertEquals(DeltaCache.Format.EROFS, image.format());
            assertTrue(Files.isRegularFile(image.path()));
        }
        // open() orders entries by creation time, which the kernel stamps from a clock that
        // advances once per tick (4-10 ms): created within one tick, the two would tie
        Thread.sleep(30);
        try (DeltaCache.Lease tree = cache.acquire(A, DeltaCache.Format.DIRECTORY, bytes(100))) {
            assertEquals(DeltaCache.Format.DIRECTORY, tree.format());
            assertEquals(400, cache.sizeBytes());
        }
        Files.writeString(dir.resolve("sha256-not-hex.erofs"), "ignored");
        DeltaCache reopened = DeltaCache.open(dir, 1 << 20);
        assertEquals(400, reopened.sizeBytes());
        AtomicInteger writes = new AtomicInteger();
        try (DeltaCache.Lease l = reopened.acquire(A, DeltaCache.Format.EROFS, p -> writes.incrementAndGet())) {
            assertEquals(DeltaCache.Format.EROFS, l.format());
        }
        assertEquals(0, writes.get(), "the image from before is reused");
        DeltaCache small = DeltaCache.open(dir, 100);
        assertEquals(List.of(DeltaCache.entryName(A)), small.entryNames(), "the LRU image evicted");
        assertFalse(Files.exists(dir.resolve(DeltaCache.entryName(A) + ".erofs")));
    }

    @Test
    void open_evictsDownToTheCap() throws Exception {
        Path dir = tmp.resolve("cache");
        for (String d : List.of(A, B)) {
            Files.write(Files.createDirectories(dir.resolve(DeltaCache.entryName(d))).resolve("f"), new byte[100]);
        }
        DeltaCache cache = DeltaCache.open(dir, 100);
        assertEquals(1, cache.entryNames().size());
        assertEquals(100, cache.sizeBytes());
    }

    @Test
    void badDigest_isInvalidArgument() throws Exception {
        DeltaCache cache = DeltaCache.open(tmp.resolve("cache"), 100);
        for (String bad : List.of("../../etc", "sha256:XYZ", "sha256:abc/../../d", "")) {
            ShimException e = assertThrows(ShimException.class, () -> cache.acquire(bad, bytes(1)));
            assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        }
        assertNotEquals(DeltaCache.entryName(A), DeltaCache.entryName(B));
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
