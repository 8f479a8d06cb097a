package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoreRequestTest {
    @TempDir
    Path tmp;

    private CreateSpec spec(Path bundle, String checkpoint) {
        return new CreateSpec("k8s.io", "app", bundle, List.of(), Stdio.none(), checkpoint, "");
    }

    @Test
    void requestCheckpointField_winsOverAnnotation() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("images"));
        Path archive = Files.write(tmp.resolve("x.tar"), new byte[]{1});
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of(RestoreRequest.ANNOTATION, archive.toString()));
        var r = RestoreRequest.detect(spec(bundle, dir.toString())).orElseThrow();
        assertEquals(new RestoreRequest(RestoreRequest.Origin.TASK_CHECKPOINT, RestoreRequest.Source.IMAGES_DIR, dir), r);
    }

    @Test
    void requestCheckpointField_archiveFile() throws IOException {
        Path archive = Files.write(tmp.resolve("x.tar"), new byte[]{1});
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of());
        assertEquals(new RestoreRequest(RestoreRequest.Origin.TASK_CHECKPOINT, RestoreRequest.Source.ARCHIVE, archive),
                RestoreRequest.detect(spec(bundle, archive.toString())).orElseThrow());
    }

    @Test
    void annotation_archive() throws IOException {
        Path archive = Files.write(tmp.resolve("x.tar"), new byte[]{1});
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of(RestoreRequest.ANNOTATION, archive.toString(),
                "other", "x"));
        assertEquals(new RestoreRequest(RestoreRequest.Origin.ANNOTATION, RestoreRequest.Source.ARCHIVE, archive),
                RestoreRequest.detect(spec(bundle, "")).orElseThrow());
    }

    @Test
    void annotation_unpackedArchiveDirectory_meansItsCheckpointDir() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("unpacked/checkpoint"));
        Files.write(dir.resolve("inventory.img"), new byte[]{1});
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of(RestoreRequest.ANNOTATION,
                tmp.resolve("unpacked").toString()));
        assertEquals(dir, RestoreRequest.detect(spec(bundle, "")).orElseThrow().path());
    }

    @Test
    void annotationOnSandbox_isOrdinaryCreate() throws IOException {
        Path archive = Files.write(tmp.resolve("x.tar"), new byte[]{1});
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of(RestoreRequest.ANNOTATION, archive.toString(),
                RestoreRequest.CONTAINER_TYPE, "sandbox"));
        assertEquals(Optional.empty(), RestoreRequest.detect(spec(bundle, "")));
    }

    @Test
    void neither_isOrdinaryCreate() throws IOException {
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of("io.kubernetes.cri.container-type", "container"));
        assertEquals(Optional.empty(), RestoreRequest.detect(spec(bundle, "")));
    }

    @Test
    void annotationNamingMissingPath_isNotFound() throws IOException {
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of(RestoreRequest.ANNOTATION, "/nonexistent/x.tar"));
        var e = assertThrows(ShimException.class, () -> RestoreRequest.detect(spec(bundle, "")));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("/nonexistent/x.tar") && e.getMessage().contains(RestoreRequest.ANNOTATION),
                e.getMessage());
    }

    @Test
    void relativeAnnotation_isInvalid() throws IOException {
        Path bundle = RestoreFixtures.bundle(tmp.resolve("b"), Map.of(RestoreRequest.ANNOTATION, "x.tar"));
        var e = assertThrows(ShimException.class, () -> RestoreRequest.detect(spec(bundle, "")));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    }
}
