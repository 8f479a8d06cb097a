package dev.restoreshim.restore;

import static dev.restoreshim.restore.RestoreImageFixtures.images;
import static dev.restoreshim.restore.RestoreImageFixtures.layer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoreImageMetadataTest {
    private static final int BIG = (int) RestoreImageMetadata.HASHED_BELOW + 4096;

    @TempDir
    Path tmp;

    private Path valid() throws IOException {
        return layer(tmp.resolve("layer"), images(BIG));
    }

    private Path json(Path layer) {
        return layer.resolve(".restore-shim/restore.json");
    }

    private void rewrite(Path layer, String from, String to) throws IOException {
        String s = Files.readString(json(layer));
        assertTrue(s.contains(from), s);
        Files.writeString(json(layer), s.replace(from, to));
    }

    private ShimException refused(Path layer, ErrorKind kind, String... parts) {
        ShimException e = assertThrows(ShimException.class, () -> RestoreImageMetadata.verify(layer));
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("restore image layer " + layer), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected \"" + p + "\" in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void valid_listsImagesAndHashesOnlySmallOnes() throws IOException {
        Path layer = valid();
        assertTrue(RestoreImageMetadata.present(layer));
        RestoreImageMetadata m = RestoreImageMetadata.verify(layer);
        assertEquals(layer.resolve(".restore-shim/checkpoint"), m.imagesDir());
        assertEquals(List.of("inventory.img", "core-1.img", "pages-1.img"),
                m.images().stream().map(RestoreImageMetadata.Image::name).toList());
        assertNull(m.images().get(2).sha256());
        assertEquals(BIG + 9 + 4, m.totalBytes());
        assertEquals("4.1.1", m.criuVersion());
        assertEquals(1, m.version());
    }

    @Test
    void read_givesTheCriuOptionsWithoutCheckingTheFiles_verifyStillRefuses() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"criuOptions\":{}", "\"criuOptions\":{\"tcp-established\":true}");
        Files.writeString(layer.resolve(".restore-shim/checkpoint/core-1.img"), "CORE"); // same size, other digest
        assertEquals(java.util.Map.of("tcp-established", "true"), RestoreImageMetadata.read(layer).criuOptions());
        refused(layer, ErrorKind.FAILED_PRECONDITION, "checkpoint/core-1.img", "sha256");
        rewrite(layer, "\"format\"", "\"formats\"");
        ShimException e = assertThrows(ShimException.class, () -> RestoreImageMetadata.read(layer));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), e.getMessage());
    }

    @Test
    void notPresent_withoutMetadata() throws IOException {
        assertFalse(RestoreImageMetadata.present(Files.createDirectories(tmp.resolve("plain/etc"))));
    }

    @Test
    void truncatedPages_sizeMismatch() throws IOException {
        Path layer = valid();
        Path pages = layer.resolve(".restore-shim/checkpoint/pages-1.img");
        Files.write(pages, new byte[BIG / 2]);
        refused(layer, ErrorKind.FAILED_PRECONDITION, "checkpoint/pages-1.img", "size " + BIG / 2, "says " + BIG);
    }

    @Test
    void tamperedSmallImage_digestMismatch() throws IOException {
        Path layer = valid();
        Files.writeString(layer.resolve(".restore-shim/checkpoint/core-1.img"), "CORE"); // same size
        refused(layer, ErrorKind.FAILED_PRECONDITION, "checkpoint/core-1.img", "sha256");
    }

    @Test
    void tamperedMetadata_digestMismatch() throws IOException {
        Path layer = valid();
        String sha = RestoreImageFixtures.sha256("core".getBytes());
        rewrite(layer, sha, "0".repeat(64));
        refused(layer, ErrorKind.FAILED_PRECONDITION, "core-1.img", "says " + "0".repeat(64));
    }

    @Test
    void missingImage() throws IOException {
        Path layer = valid();
        Files.delete(layer.resolve(".restore-shim/checkpoint/core-1.img"));
        refused(layer, ErrorKind.FAILED_PRECONDITION, "core-1.img", "missing");
    }

    @Test
    void unlistedImage() throws IOException {
        Path layer = valid();
        Files.writeString(layer.resolve(".restore-shim/checkpoint/extra.img"), "x");
        refused(layer, ErrorKind.FAILED_PRECONDITION, "extra.img", "not listed");
    }

    @Test
    void symlinkImage_isNotARegularFile() throws IOException {
        Path layer = valid();
        Path core = layer.resolve(".restore-shim/checkpoint/core-1.img");
        Files.delete(core);
        Files.createSymbolicLink(core, Path.of("/etc/hostname"));
        refused(layer, ErrorKind.FAILED_PRECONDITION, "core-1.img", "not a regular file");
    }

    @Test
    void somethingBesidesReservedDir_inTheLayer() throws IOException {
        Path layer = valid();
        Files.createDirectories(layer.resolve("etc"));
        refused(layer, ErrorKind.FAILED_PRECONDITION, "\"etc\"");
    }

    @Test
    void somethingElseInReservedDir() throws IOException {
        Path layer = valid();
        Files.writeString(layer.resolve(".restore-shim/notes"), "x");
        refused(layer, ErrorKind.FAILED_PRECONDITION, "\"notes\"");
    }

    @Test
    void nameLeavingTheDirectory() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"name\":\"core-1.img\"", "\"name\":\"../core-1.img\"");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "images[1]", "plain file name");
    }

    @Test
    void dotDotName() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"name\":\"core-1.img\"", "\"name\":\"..\"");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "images[1]");
    }

    @Test
    void duplicateName() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"name\":\"core-1.img\"", "\"name\":\"inventory.img\"");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "listed twice");
    }

    @Test
    void wrongFormat() throws IOException {
        Path layer = valid();
        rewrite(layer, "restore-shim.dev/restore-image", "something/else");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "format");
    }

    @Test
    void newerVersion() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"version\":1", "\"version\":2");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "version 2", "<= 1");
    }

    @Test
    void versionAsString() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"version\":1", "\"version\":\"1\"");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "version");
    }

    @Test
    void negativeSize() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"size\":4,", "\"size\":-4,");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "core-1.img", "size");
    }

    @Test
    void smallImageWithoutDigest() throws IOException {
        Path layer = valid();
        rewrite(layer, "\"" + RestoreImageFixtures.sha256("core".getBytes()) + "\"", "null");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "core-1.img", "no sha256");
    }

    @Test
    void badDigestSyntax() throws IOException {
        Path layer = valid();
        rewrite(layer, RestoreImageFixtures.sha256("core".getBytes()), "ABC");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "not 64 lower-case hex");
    }

    @Test
    void notJson() throws IOException {
        Path layer = valid();
        Files.writeString(json(layer), "{\"format\": ");
        refused(layer, ErrorKind.INVALID_ARGUMENT, "cannot read");
    }

    @Test
    void emptyImages() throws IOException {
        Path layer = layer(tmp.resolve("empty"), Map.of());
        refused(layer, ErrorKind.INVALID_ARGUMENT, "non-empty array");
    }

    @Test
    void metadataSymlink_isRefused() throws IOException {
        Path layer = valid();
        Path other = Files.writeString(tmp.resolve("elsewhere.json"), Files.readString(json(layer)));
        Files.delete(json(layer));
        Files.createSymbolicLink(json(layer), other);
        refused(layer, ErrorKind.INVALID_ARGUMENT, "not a regular file");
    }

    @Test
    void imagesDirMissing() throws IOException {
        Path layer = tmp.resolve("nodir");
        Files.createDirectories(layer.resolve(".restore-shim"));
        Files.writeString(json(layer), RestoreImageFixtures.json(images(8)));
        refused(layer, ErrorKind.FAILED_PRECONDITION, "checkpoint is not a directory");
    }

    @Test
    void validName() {
        assertTrue(RestoreImageMetadata.validName("pages-1.img"));
        for (String bad : new String[]{null, "", ".", "..", "a/b", "/abs", "a\0b", "x".repeat(256)}) {
            assertFalse(RestoreImageMetadata.validName(bad), String.valueOf(bad));
        }
    }
}
