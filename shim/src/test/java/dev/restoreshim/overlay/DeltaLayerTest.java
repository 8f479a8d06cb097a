package dev.restoreshim.overlay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delta extraction against a recording fake for the metadata syscalls (no root needed). */
class DeltaLayerTest {
    @TempDir
    Path tmp;

    private final RecordingFileOps files = new RecordingFileOps();
    private final DeltaLayer layer = new DeltaLayer(files, DeltaLayer.Limits.DEFAULT);

    private Path target() throws IOException {
        return Files.createDirectories(tmp.resolve("layer"));
    }

    private DeltaLayer.Stats extract(InputStream tar, List<String> deleted, Path target) {
        return layer.extract(tar, deleted, target, LowerDirs.NONE);
    }

    @Test
    void files_dirsAndSymlinks_areExtractedWithMetadata() throws Exception {
        Path t = target();
        var tar = new TarBuilder().dir("usr", 0755).dir("usr/bin", 0750)
                .file("usr/bin/tool", "#!/bin/sh\n", 04755, 1000, 1001, Map.of())
                .symlink("usr/bin/alias", "tool").symlink("abs", "/etc/passwd").fifo("usr/pipe").stream();
        DeltaLayer.Stats s = extract(tar, List.of(), t);
        assertEquals("#!/bin/sh\n", Files.readString(t.resolve("usr/bin/tool")));
        assertEquals(Path.of("tool"), Files.readSymbolicLink(t.resolve("usr/bin/alias")));
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(t.resolve("abs")), "symlink targets are data, never followed");
        assertEquals(10, s.bytes());
        String tool = t.resolve("usr/bin/tool").toString();
        long mtime = TarBuilder.MTIME.to(TimeUnit.SECONDS) * 1_000_000_000L;
        List<String> toolCalls = files.callsFor(t.resolve("usr/bin/tool"));
        assertEquals("lchown " + tool + " 1000:1001", toolCalls.get(0), "owner first: chown clears setuid");
        assertEquals("chmod " + tool + " 4755", toolCalls.get(1));
        assertTrue(toolCalls.get(2).startsWith("utimes " + tool + " " + mtime / 1_000_000_000L), toolCalls.toString());
        assertFalse(files.callsFor(t.resolve("usr/bin/alias")).stream().anyMatch(c -> c.startsWith("chmod")),
                "no chmod through a symlink");
        assertTrue(files.calls.contains("mknod " + t.resolve("usr/pipe") + " 10644 0"));
        // directory times are applied after everything inside them was written
        int dirTime = files.calls.indexOf(files.callsFor(t.resolve("usr/bin")).stream()
                .filter(c -> c.startsWith("utimes")).findFirst().orElseThrow());
        assertTrue(dirTime > files.calls.indexOf(toolCalls.get(2)), files.calls.toString());
        assertTrue(files.calls.contains("chmod " + t.resolve("usr/bin") + " 750"));
    }

    @Test
    void ociWhiteout_becomesCharDevice00() throws Exception {
        Path t = target();
        DeltaLayer.Stats s = extract(new TarBuilder().dir("etc", 0755).file("etc/.wh.motd", "").stream(), List.of(), t);
        assertTrue(files.isWhiteout(t.resolve("etc/motd")), files.calls.toString());
        assertFalse(Files.exists(t.resolve("etc/.wh.motd")));
        assertEquals(1, s.whiteouts());
    }

    @Test
    void opaqueMarker_setsTrustedOverlayOpaque() throws Exception {
        Path t = target();
        DeltaLayer.Stats s = extract(new TarBuilder().dir("var/cache", 0755).file("var/cache/.wh..wh..opq", "")
                .file("var/cache/new", "n").stream(), List.of(), t);
        assertArrayEquals("y".getBytes(StandardCharsets.US_ASCII), files.lgetxattr(t.resolve("var/cache").toString(),
                "trusted.overlay.opaque"));
        assertFalse(Files.exists(t.resolve("var/cache/.wh..wh..opq")));
        assertTrue(Files.exists(t.resolve("var/cache/new")));
        assertEquals(1, s.opaqueDirs());
    }

    @Test
    void aufsMetadata_isSkipped() throws Exception {
        Path t = target();
        extract(new TarBuilder().dir(".wh..wh.plnk", 0700).file(".wh..wh.plnk/123.4", "x").stream(), List.of(), t);
        try (var s = Files.list(t)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void charDevice00InTar_isKeptAsWhiteout() throws Exception {
        Path t = target();
        extract(new TarBuilder().device("gone", TarConstants.LF_CHR, 0, 0).stream(), List.of(), t);
        assertTrue(files.isWhiteout(t.resolve("gone")));
    }

    @Test
    void deletedFiles_becomeWhiteouts_afterTheTar() throws Exception {
        Path t = target();
        var tar = new TarBuilder().file("etc/hosts", "new hosts").file("etc/keep", "k").stream();
        DeltaLayer.Stats s = extract(tar, List.of("/etc/hosts", "/usr/share/doc", "opt/x"), t);
        assertTrue(files.isWhiteout(t.resolve("etc/hosts")), "replaces what the tar put there");
        assertTrue(files.isWhiteout(t.resolve("usr/share/doc")));
        assertTrue(files.isWhiteout(t.resolve("opt/x")));
        assertEquals("k", Files.readString(t.resolve("etc/keep")));
        assertEquals(3, s.whiteouts());
        assertTrue(files.calls.contains("chmod " + t.resolve("usr/share") + " 755"), "implicit parent gets 0755 root");
        assertTrue(files.calls.contains("lchown " + t.resolve("usr/share") + " 0:0"));
    }

    @Test
    void realContainerdDelta_gzipOciLayer_isExtracted() throws Exception {
        // rootfs-diff.tar of a containerd 2.1 CRI checkpoint: a gzip OCI layer whose image file
        // etc/rsit-release was deleted and tmp/written created
        Path t = target();
        try (InputStream in = new java.util.zip.GZIPInputStream(
                DeltaLayerTest.class.getResourceAsStream("containerd-rootfs-diff.tar.gz"))) {
            DeltaLayer.Stats s = extract(in, List.of(), t);
            assertEquals(1, s.whiteouts());
        }
        assertTrue(files.isWhiteout(t.resolve("etc/rsit-release")));
        assertEquals("kept\n", Files.readString(t.resolve("tmp/written")));
        assertTrue(Files.exists(t.resolve("etc/hosts")));
        assertFalse(Files.exists(t.resolve("etc/.wh.rsit-release")));
    }

    @Test
    void implicitParent_takesLowerLayerAttributes() throws Exception {
        Path lower = Files.createDirectories(tmp.resolve("lower/home/app"));
        Files.setPosixFilePermissions(lower, PosixFilePermissions.fromString("rwxr-x---"));
        Path t = target();
        layer.extract(new TarBuilder().file("home/app/state", "s").stream(), List.of(), t,
                new LowerDirs(List.of(tmp.resolve("missing"), tmp.resolve("lower"))));
        assertTrue(files.calls.contains("chmod " + t.resolve("home/app") + " 750"), files.calls.toString());
        long mtime = Files.getLastModifiedTime(lower).to(TimeUnit.NANOSECONDS);
        assertTrue(files.calls.contains("utimes " + t.resolve("home/app") + " " + mtime), files.calls.toString());
    }

    @Test
    void hardlink_withinLayer_sharesTheInode() throws Exception {
        Path t = target();
        extract(new TarBuilder().file("a/one", "1").hardlink("b/two", "a/one").stream(), List.of(), t);
        assertTrue(Files.isSameFile(t.resolve("a/one"), t.resolve("b/two")));
    }

    @Test
    void paxXattrs_applied_trustedDropped() throws Exception {
        Path t = target();
        var tar = new TarBuilder().file("f", "x", 0644, 0, 0, Map.of("SCHILY.xattr.user.note", "hello",
                "SCHILY.xattr.trusted.overlay.redirect", "/etc", "LIBARCHIVE.xattr.security.capability",
                "AQAAAgAgAAAAAAAAAAAAAAAAAAA=")).stream();
        DeltaLayer.Stats s = extract(tar, List.of(), t);
        String f = t.resolve("f").toString();
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), files.lgetxattr(f, "user.note"));
        assertEquals(null, files.lgetxattr(f, "trusted.overlay.redirect"));
        assertEquals(20, files.lgetxattr(f, "security.capability").length);
        assertEquals(1, s.droppedXattrs());
    }

    @Test
    void entryWithDotDot_isRefusedNamingIt() throws Exception {
        assertRefused(new TarBuilder().file("a/../../escape", "x"), "a/../../escape", "\"..\"");
    }

    @Test
    void absoluteEntry_isRefused() throws Exception {
        assertRefused(new TarBuilder().file("/etc/passwd", "x"), "/etc/passwd", "absolute");
    }

    @Test
    void fileThroughSymlinkParent_isRefused() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        assertRefused(new TarBuilder().symlink("evil", outside.toString()).file("evil/owned", "x"), "evil/owned",
                "is a symlink");
        assertFalse(Files.exists(outside.resolve("owned")));
    }

    @Test
    void relativeSymlinkEscape_isRefused() throws Exception {
        assertRefused(new TarBuilder().dir("d", 0755).symlink("d/up", "../..").file("d/up/x", "x"), "d/up/x",
                "is a symlink");
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void whiteoutThroughSymlinkParent_isRefused() throws Exception {
        assertRefused(new TarBuilder().symlink("l", "/etc").file("l/.wh.passwd", ""), "l/.wh.passwd", "is a symlink");
    }

    @Test
    void deviceNode_isRefused() throws Exception {
        assertRefused(new TarBuilder().device("dev/null", TarConstants.LF_CHR, 1, 3), "dev/null", "device node 1:3");
        assertRefused(new TarBuilder().device("dev/sda", TarConstants.LF_BLK, 8, 0), "dev/sda", "device node 8:0");
    }

    @Test
    void hardlinkEscape_isRefused() throws Exception {
        assertRefused(new TarBuilder().hardlink("pw", "../../etc/passwd"), "pw", "leaves the layer");
        assertRefused(new TarBuilder().hardlink("pw", "/etc/passwd"), "pw", "absolute");
        assertRefused(new TarBuilder().symlink("l", "/etc").hardlink("pw", "l/passwd"), "pw", "is a symlink");
        assertRefused(new TarBuilder().hardlink("pw", "not/here"), "pw", "not a file extracted earlier");
    }

    @Test
    void deletedFileWithDotDot_isRefused() throws Exception {
        Path t = Files.createTempDirectory(tmp, "t");
        ShimException e = assertThrows(ShimException.class, () -> extract(new TarBuilder().stream(),
                List.of("/etc/../../x"), t));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("/etc/../../x"), e.getMessage());
    }

    @Test
    void truncatedTar_isInvalidArgument() throws Exception {
        byte[] tar = new TarBuilder().file("a", "x".repeat(5000)).file("b", "y").bytes();
        byte[] cut = Arrays.copyOf(tar, 3000);
        ShimException e = assertThrows(ShimException.class,
                () -> extract(new ByteArrayInputStream(cut), List.of(), target()));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("\"a\""), e.getMessage());
    }

    @Test
    void imageBuild_withMorePathsThanItMayModel_isTooLargeForImage() throws Exception {
        byte[] tar = new TarBuilder().file("a/one", "1").file("a/two", "2").file("b", "3").bytes();
        ShimException e = assertThrows(ShimException.class, () -> layer.writeTar(new ByteArrayInputStream(tar),
                List.of(), java.io.OutputStream.nullOutputStream(), LowerDirs.NONE, 3));
        assertTrue(DeltaLayer.isTooLargeForImage(e), e.toString());
        assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind());
        assertTrue(DeltaLayer.isTooLargeForImage(new ShimException(ErrorKind.INTERNAL, "wrapped", e)));
        assertFalse(DeltaLayer.isTooLargeForImage(new ShimException(ErrorKind.RESOURCE_EXHAUSTED, "other")));
        layer.writeTar(new ByteArrayInputStream(tar), List.of(), java.io.OutputStream.nullOutputStream(),
                LowerDirs.NONE, 4); // a, a/one, a/two, b
    }

    @Test
    void limits_areResourceExhausted() throws Exception {
        DeltaLayer small = new DeltaLayer(files, new DeltaLayer.Limits(10, 100));
        ShimException e = assertThrows(ShimException.class, () -> small.extract(
                new TarBuilder().file("a", "123456").file("b", "123456").stream(), List.of(), target(), LowerDirs.NONE));
        assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind());
        assertTrue(e.getMessage().contains("\"b\""), e.getMessage());
        DeltaLayer few = new DeltaLayer(files, new DeltaLayer.Limits(1000, 2));
        e = assertThrows(ShimException.class, () -> few.extract(new TarBuilder().file("a", "").file("b", "")
                .file("c", "").stream(), List.of(), Files.createTempDirectory(tmp, "t"), LowerDirs.NONE));
        assertEquals(ErrorKind.RESOURCE_EXHAUSTED, e.kind());
    }

    /** Refused the same way by both forms: extraction into a directory and the tar for mkfs.erofs. */
    private void assertRefused(TarBuilder tar, String entry, String reason) throws IOException {
        Path t = Files.createTempDirectory(tmp, "t");
        byte[] bytes = tar.bytes();
        ShimException e = assertThrows(ShimException.class, () -> extract(new ByteArrayInputStream(bytes), List.of(), t));
        ShimException fromTar = assertThrows(ShimException.class, () -> layer.writeTar(new ByteArrayInputStream(bytes),
                List.of(), java.io.OutputStream.nullOutputStream(), LowerDirs.NONE));
        assertEquals(e.getMessage(), fromTar.getMessage());
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), e.getMessage());
        assertEquals(ErrorKind.INVALID_ARGUMENT, fromTar.kind(), fromTar.getMessage());
        assertTrue(e.getMessage().contains("\"" + entry + "\""), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("escape"), LinkOption.NOFOLLOW_LINKS));
    }
}
