package dev.restoreshim.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per attack on the archive reader; each must fail with a message naming archive, entry and reason. */
class ArchiveAttackTest {
    @TempDir
    Path dir;

    private static final byte[] END = new byte[1024];

    private Path write(String name, byte[] data) {
        return CheckpointFixtures.write(dir.resolve(name), data);
    }

    /** Opens (and so indexes or, compressed, summarizes) the archive; returns the failure. */
    private ShimException fails(Path file, EntryPolicy policy) {
        return assertThrows(ShimException.class, () -> {
            try (CheckpointArchive a = CheckpointArchive.open(file, policy)) {
                a.summary(true);
            }
        });
    }

    private static void assertFailure(ShimException e, ErrorKind kind, String... parts) {
        assertEquals(kind, e.kind(), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "\"" + e.getMessage() + "\" should contain \"" + p + "\"");
        }
    }

    /** The same bad tar, plain and zstd-compressed: both paths must refuse it. */
    private void bothWays(byte[] tar, ErrorKind kind, String... parts) {
        Path plain = write("bad.tar", tar);
        assertFailure(fails(plain, EntryPolicy.defaults()), kind, withArchive(plain, parts));
        Path zst = write("bad.tar.zst", TarBuilder.zstd(tar));
        assertFailure(fails(zst, EntryPolicy.defaults()), kind, withArchive(zst, parts));
    }

    private static String[] withArchive(Path p, String... parts) {
        String[] all = Arrays.copyOf(parts, parts.length + 1);
        all[parts.length] = "archive " + p;
        return all;
    }

    @Test
    void dotDotComponent_isRefused() {
        bothWays(TarBuilder.concat(TarBuilder.rawHeader("checkpoint/../../etc/cron.d/x", '0', 0, ""), END),
                ErrorKind.INVALID_ARGUMENT, "entry \"checkpoint/../../etc/cron.d/x\"", "\"..\" component");
    }

    @Test
    void absolutePath_isRefused() {
        bothWays(new TarBuilder().file("/etc/passwd", "root::0:0::/:/bin/sh").build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"/etc/passwd\"", "absolute path");
    }

    @Test
    void nulInPaxPath_isRefused() {
        byte[] record = pax("path", "ok\0/../../x");
        byte[] tar = TarBuilder.concat(TarBuilder.rawHeader("PaxHeaders/x", 'x', record.length, ""), pad(record),
                TarBuilder.rawHeader("x", '0', 0, ""), END);
        bothWays(tar, ErrorKind.INVALID_ARGUMENT, "ok\\x00/../../x", "NUL");
    }

    @Test
    void symlinkEscapingRoot_isRefused() {
        bothWays(new TarBuilder().dir("a").symlink("a/up", "../../etc").build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"a/up\"", "symlink target \"../../etc\" escapes the extraction root");
    }

    @Test
    void symlinksStayingInsideRoot_areAccepted() {
        Path ok = write("ok.tar", new TarBuilder().symlink("a/b/up", "../c").symlink("a/abs", "/usr/bin/env")
                .symlink("top", "./a/../a").build());
        try (CheckpointArchive a = CheckpointArchive.open(ok, EntryPolicy.defaults())) {
            assertEquals(3, a.index().entries().size());
        }
    }

    @Test
    void hardlinkEscapingRoot_isRefused() {
        bothWays(new TarBuilder().hardlink("h", "../etc/shadow").build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"h\"", "hardlink target \"../etc/shadow\" escapes");
        bothWays(new TarBuilder().hardlink("h", "/etc/shadow").build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"h\"", "hardlink target \"/etc/shadow\" escapes");
    }

    @Test
    void deviceNodes_areRefused() {
        bothWays(new TarBuilder().device("dev/mem", TarConstants.LF_CHR, 1, 1).build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"dev/mem\"", "character device 1:1 not allowed");
        bothWays(new TarBuilder().device("dev/sda", TarConstants.LF_BLK, 8, 0).build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"dev/sda\"", "block device 8:0 not allowed");
        bothWays(new TarBuilder().device("p", TarConstants.LF_FIFO, 0, 0).build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"p\"", "FIFO not allowed");
        // a 0:0 whiteout device is refused too unless the delta format allows it
        bothWays(new TarBuilder().device("wh", TarConstants.LF_CHR, 0, 0).build(),
                ErrorKind.INVALID_ARGUMENT, "entry \"wh\"", "character device 0:0 not allowed");
    }

    @Test
    void whiteoutDevice_allowedOnlyWhenPolicySaysSo_andOnly0to0() {
        byte[] tar = new TarBuilder().device("gone", TarConstants.LF_CHR, 0, 0).build();
        EntryPolicy allow = EntryPolicy.defaults().withWhiteoutDevices(true);
        List<TarEntry> seen = new ArrayList<>();
        TarStream.read("delta", new ByteArrayInputStream(tar), allow, e -> seen.add(e), (e, d) -> { });
        assertEquals(EntryType.CHAR_DEVICE, seen.getFirst().type());
        byte[] real = new TarBuilder().device("tty", TarConstants.LF_CHR, 5, 0).build();
        ShimException e = assertThrows(ShimException.class,
                () -> TarStream.read("delta", new ByteArrayInputStream(real), allow, x -> true, (x, d) -> { }));
        assertFailure(e, ErrorKind.INVALID_ARGUMENT, "entry \"tty\"", "character device 5:0 not allowed (only 0:0 whiteouts)");
    }

    @Test
    void deviceNodeInDelta_isRefused() {
        byte[] delta = TarBuilder.gzip(new TarBuilder().file("ok", "x").device("dev/kmsg", TarConstants.LF_CHR, 1, 11).build());
        Path file = write("dev-delta.tar", new TarBuilder().file("status", "x").file("rootfs-diff.tar", delta).build());
        ShimException e = assertThrows(ShimException.class, () -> {
            try (CheckpointArchive a = CheckpointArchive.open(file, EntryPolicy.defaults())) {
                a.forEachDeltaEntry(DeltaFormat.OCI_LAYER, x -> true, (x, d) -> { });
            }
        });
        assertFailure(e, ErrorKind.INVALID_ARGUMENT, "archive " + file + "!rootfs-diff.tar", "entry \"dev/kmsg\"",
                "character device 1:11 not allowed");
    }

    @Test
    void hugeDeclaredSize_isTruncation() {
        Path file = write("huge.tar", TarBuilder.concat(TarBuilder.rawHeader("checkpoint/pages-1.img", '0', 8_000_000_000L, ""),
                new byte[4096], END));
        assertFailure(fails(file, EntryPolicy.defaults()), ErrorKind.INVALID_ARGUMENT, "archive " + file,
                "entry \"checkpoint/pages-1.img\"", "truncated archive: entry declares 8000000000 bytes but only 5120 remain");
    }

    @Test
    void sizeAboveCap_isResourceExhausted() {
        byte[] tar = new TarBuilder().file("checkpoint/pages-1.img", new byte[5000]).build();
        Path file = write("cap.tar", tar);
        assertFailure(fails(file, EntryPolicy.defaults().withMaxEntrySize(4096)), ErrorKind.RESOURCE_EXHAUSTED,
                "entry \"checkpoint/pages-1.img\"", "declared size 5000 bytes exceeds the cap of 4096 bytes");
    }

    @Test
    void truncatedArchive_namesEntryAndBytes() throws Exception {
        byte[] whole = Files.readAllBytes(CheckpointFixtures.crio(dir));
        int cut = indexOf(whole, "checkpoint/pages-1.img") + 512 + 1000;
        byte[] truncated = Arrays.copyOf(whole, cut);
        Path plain = write("cut.tar", truncated);
        assertFailure(fails(plain, EntryPolicy.defaults()), ErrorKind.INVALID_ARGUMENT, "archive " + plain,
                "entry \"checkpoint/pages-1.img\"", "truncated archive: entry declares " + CheckpointFixtures.PAGES
                        + " bytes but only 1000 remain");
        Path gz = write("cut.tar.gz", TarBuilder.gzip(truncated));
        assertFailure(fails(gz, EntryPolicy.defaults()), ErrorKind.INVALID_ARGUMENT, "archive " + gz,
                "entry \"checkpoint/pages-1.img\"", "entry declares " + CheckpointFixtures.PAGES + " bytes, 1000 present");
    }

    @Test
    void truncatedCompressedStream_isInvalid() throws Exception {
        byte[] zst = Files.readAllBytes(CheckpointFixtures.podman(dir));
        Path cut = write("cut.tar.zst", Arrays.copyOf(zst, zst.length / 2));
        ShimException e = fails(cut, EntryPolicy.defaults());
        assertFailure(e, ErrorKind.INVALID_ARGUMENT, "archive " + cut);
    }

    @Test
    void corruptHeader_isInvalid() {
        byte[] tar = new TarBuilder().file("a", "aaa").file("b", "bbb").build();
        tar[1024 + 10] ^= 0x55; // second header's name, checksum no longer matches
        Path file = write("corrupt.tar", tar);
        assertFailure(fails(file, EntryPolicy.defaults()), ErrorKind.INVALID_ARGUMENT, "not a tar header at offset 1024");
    }

    @Test
    void notAnArchive_isInvalid() {
        Path file = write("junk.bin", "BZh91AY&SY not really".getBytes(StandardCharsets.US_ASCII));
        assertFailure(fails(file, EntryPolicy.defaults()), ErrorKind.INVALID_ARGUMENT, "not a tar, gzip or zstd archive",
                "(bzip2)");
    }

    @Test
    void gzipBomb_outer_isStoppedByAbsoluteCap() {
        Path file = write("bomb.tar.gz", TarBuilder.gzip(new TarBuilder().file("checkpoint/pages-1.img", new byte[48 << 20]).build()));
        assertFailure(fails(file, EntryPolicy.defaults().withInflation(16 << 20, 100_000)), ErrorKind.RESOURCE_EXHAUSTED,
                "archive " + file, "decompressed size passes the cap of 16777216 bytes");
    }

    @Test
    void gzipBomb_outer_isStoppedByRatio() {
        Path file = write("bomb.tar.gz", TarBuilder.gzip(new TarBuilder().file("checkpoint/pages-1.img", new byte[48 << 20]).build()));
        assertFailure(fails(file, EntryPolicy.defaults().withInflation(1L << 40, 200)), ErrorKind.RESOURCE_EXHAUSTED,
                "archive " + file, "decompression ratio passes 200:1");
    }

    @Test
    void gzipBomb_inDelta_isStopped() {
        byte[] bomb = TarBuilder.gzip(new TarBuilder().file("zeros", new byte[48 << 20]).build());
        Path file = write("delta-bomb.tar", new TarBuilder().file("status", "x").file("rootfs-diff.tar", bomb).build());
        assertFailure(fails(file, EntryPolicy.defaults().withInflation(1L << 40, 200)), ErrorKind.RESOURCE_EXHAUSTED,
                "archive " + file, "entry \"rootfs-diff.tar\"", "decompression ratio passes 200:1");
    }

    @Test
    void zstdBomb_isStopped() {
        Path file = write("bomb.tar.zst", TarBuilder.zstd(new TarBuilder().file("checkpoint/pages-1.img", new byte[64 << 20]).build()));
        assertFailure(fails(file, EntryPolicy.defaults()), ErrorKind.RESOURCE_EXHAUSTED, "archive " + file,
                "decompression ratio passes 1000:1");
        assertFailure(fails(file, EntryPolicy.defaults().withInflation(8 << 20, 1_000_000)), ErrorKind.RESOURCE_EXHAUSTED,
                "decompressed size passes the cap of 8388608 bytes");
    }

    @Test
    void tooManyEntries_isResourceExhausted() {
        TarBuilder b = new TarBuilder();
        for (int i = 0; i < 20; i++) {
            b.file("f" + i, "");
        }
        bothWaysWith(b.build(), EntryPolicy.defaults().withMaxEntries(10), ErrorKind.RESOURCE_EXHAUSTED,
                "entry \"f10\"", "more than 10 entries");
    }

    @Test
    void deletedFilesEscaping_isRefused() {
        Path file = write("del.tar", new TarBuilder().file("bind.mounts", "[]").file("deleted.files", "[\"/etc/../../x\"]").build());
        assertFailure(fails(file, EntryPolicy.defaults()), ErrorKind.INVALID_ARGUMENT, "deleted.files", "\"..\" component");
    }

    @Test
    void oversizedPaxRecord_isResourceExhausted() {
        Path file = write("pax.tar", TarBuilder.concat(TarBuilder.rawHeader("p", 'x', 2L << 20, ""), new byte[(2 << 20) + 1024]));
        assertFailure(fails(file, EntryPolicy.defaults()), ErrorKind.RESOURCE_EXHAUSTED, "long-name or PAX record");
    }

    @Test
    void failedOpens_leaveNoFileDescriptorOpen() throws Exception {
        Path evil = write("evil.tar", new TarBuilder().hardlink("h", "../x").build());
        Path junk = write("junk", new byte[100]);
        long before = openFds();
        for (int i = 0; i < 50; i++) {
            fails(evil, EntryPolicy.defaults());
            fails(junk, EntryPolicy.defaults());
        }
        assertEquals(before, openFds(), "fds of /proc/self/fd");
    }

    private static long openFds() throws java.io.IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private void bothWaysWith(byte[] tar, EntryPolicy policy, ErrorKind kind, String... parts) {
        Function<Path, ShimException> f = p -> fails(p, policy);
        assertFailure(f.apply(write("n.tar", tar)), kind, parts);
        assertFailure(f.apply(write("n.tar.gz", TarBuilder.gzip(tar))), kind, parts);
    }

    private static byte[] pax(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int len = body.getBytes(StandardCharsets.UTF_8).length;
        int total = len + String.valueOf(len).length();
        total = len + String.valueOf(total).length();
        return (total + body).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] pad(byte[] data) {
        return Arrays.copyOf(data, (data.length + 511) / 512 * 512);
    }

    private static int indexOf(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= hay.length; i += 512) {
            for (int j = 0; j < n.length; j++) {
                if (hay[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("no header " + needle);
    }
}
