package dev.restoreshim.criu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cache's decisions and lifecycle, with a binder that stands in for mount(2) by a symlink
 * (same file seen at the target) and a probe that returns fixed bytes. The target's directory is
 * under target/ (a disk), the store under /dev/shm (a tmpfs), as on a host whose /run is a disk.
 */
class KdatCacheTest {
    private static final byte[] KDAT = "kdat of this boot".getBytes(StandardCharsets.UTF_8);

    private Path run;
    private Path target;
    private Path shm;
    private Path store;
    private final List<String> calls = new ArrayList<>();

    /** bind: the target becomes a symlink to the source; unmount: the empty placeholder is back. */
    private final KdatCache.Binder binder = new KdatCache.Binder() {
        @Override
        public void bind(Path source, Path t) {
            calls.add("bind " + source.getFileName() + " " + t.getFileName());
            try {
                Files.delete(t);
                Files.createSymbolicLink(t, source);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void unmount(Path t) {
            calls.add("unmount " + t.getFileName());
            try {
                Files.delete(t);
                Files.createFile(t);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

    @BeforeEach
    void dirs() throws IOException {
        run = Files.createDirectories(Path.of("target", "kdat-test-" + UUID.randomUUID()).toAbsolutePath());
        assumeFalse("tmpfs".equals(Files.getFileStore(run).type()), "the build dir is a tmpfs here");
        target = run.resolve("criu.kdat");
        shm = Files.createDirectory(Path.of("/dev/shm", "kdat-test-" + UUID.randomUUID()));
        store = shm.resolve("store");
    }

    @AfterEach
    void clean() throws IOException {
        for (Path d : List.of(run, shm)) {
            try (Stream<Path> all = Files.walk(d)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void provide_runIsADisk_bindsTheProbedCacheOverTarget_ensureRebinds_closeRemovesBindPlaceholderAndStore() throws Exception {
        KdatCache cache = KdatCache.provide("criu", target, store, binder, criu -> KDAT);
        assertEquals(KdatCache.State.PROVIDED, cache.state(), cache.reason());
        assertArrayEquals(KDAT, Files.readAllBytes(target));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store)));
        assertEquals(List.of("bind criu.kdat criu.kdat"), calls);
        assertEquals("provided: " + target + " bound from " + store.resolve("criu.kdat"), cache.describe());

        assertEquals("", cache.ensure());
        assertEquals(1, calls.size(), "already bound: nothing to do");

        binder.unmount(target); // another node daemon stopped and took the bind with it
        assertEquals("", cache.ensure());
        assertArrayEquals(KDAT, Files.readAllBytes(target));

        cache.close();
        assertFalse(Files.exists(target), "the empty placeholder goes with the bind mount");
        assertEquals("unmount criu.kdat", calls.getLast());
        assertFalse(Files.exists(store), "and the store");
    }

    @Test
    void provide_runIsATmpfs_notNeeded_nothingBound() {
        KdatCache cache = KdatCache.provide("criu", shm.resolve("criu.kdat"), store, binder, criu -> KDAT);
        assertEquals(KdatCache.State.NOT_NEEDED, cache.state());
        assertTrue(cache.reason().contains("is a tmpfs"), cache.reason());
        cache.close();
        assertEquals(List.of(), calls);
    }

    @Test
    void provide_storeNotOnATmpfs_unavailable_nothingBound() {
        KdatCache cache = KdatCache.provide("criu", target, run.resolve("store"), binder, criu -> KDAT);
        assertEquals(KdatCache.State.UNAVAILABLE, cache.state());
        assertTrue(cache.reason().contains("is not a tmpfs, so a cache kept there would outlive a reboot"),
                cache.reason());
        assertEquals(List.of(), calls);
        assertFalse(Files.exists(target));
    }

    @Test
    void provide_probeWritesNothing_unavailableNamingCriu() {
        KdatCache cache = KdatCache.provide("/opt/criu", target, store, binder, criu -> new byte[0]);
        assertEquals(KdatCache.State.UNAVAILABLE, cache.state());
        assertTrue(cache.reason().contains("/opt/criu wrote no cache"), cache.reason());
        assertTrue(cache.describe().startsWith("unavailable: /opt/criu wrote no cache"), cache.describe());
        assertFalse(Files.exists(target));
        assertEquals(List.of(), calls);
    }

    @Test
    void provide_storeOpenToOthers_unavailable_nothingBound() throws Exception {
        Files.createDirectory(store, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwxrwxrwx"));
        KdatCache cache = KdatCache.provide("criu", target, store, binder, criu -> KDAT);
        assertEquals(KdatCache.State.UNAVAILABLE, cache.state());
        assertTrue(cache.reason().contains("closed to others"), cache.reason());
        assertEquals(List.of(), calls);
    }

    @Test
    void provide_boundByAKilledDaemonWithOtherBytes_takenOverAndRewritten_noSecondBind() throws Exception {
        KdatCache killed = KdatCache.provide("criu", target, store, binder, criu -> "an older CRIU build's".getBytes(
                StandardCharsets.UTF_8));
        assertEquals(KdatCache.State.PROVIDED, killed.state(), killed.reason());
        // the daemon that made it is killed: no close; the next one starts
        KdatCache next = KdatCache.provide("criu", target, store, binder, criu -> KDAT);
        assertEquals(KdatCache.State.PROVIDED, next.state(), next.reason());
        assertArrayEquals(KDAT, Files.readAllBytes(target));
        assertEquals(1, calls.stream().filter(c -> c.startsWith("bind")).count(), "one bind: " + calls);
        next.close();
        assertFalse(Files.exists(target));
    }

    @Test
    void provide_storeFileHoldsAnOlderCache_rewrittenInPlace() throws Exception {
        Files.createDirectory(store, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(store.resolve("criu.kdat"), "kdat of an older CRIU build, longer than this one");
        Object before = Files.readAttributes(store.resolve("criu.kdat"), "unix:ino").get("ino");
        KdatCache cache = KdatCache.provide("criu", target, store, binder, criu -> KDAT);
        assertEquals(KdatCache.State.PROVIDED, cache.state(), cache.reason());
        assertArrayEquals(KDAT, Files.readAllBytes(target));
        assertEquals(before, Files.readAttributes(store.resolve("criu.kdat"), "unix:ino").get("ino"),
                "same inode: a bind mount of it elsewhere sees the new bytes");
        cache.close();
    }
}
