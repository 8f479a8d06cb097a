package dev.restoreshim.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.criu.CriuConfigFile;
import dev.restoreshim.criu.CriuFeatures;
import dev.restoreshim.criu.CriuOption;
import dev.restoreshim.criu.CriuPolicy;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.Stdio;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

class CriuSetupTest {
    private static final CriuFeatures STOCK = new CriuFeatures("criu", "4.1.1", true, false, true, Map.of(), "");

    @TempDir
    Path dir;

    private CreateSpec spec(String annotations) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[\"sh\"]},"
                + "\"annotations\":{" + annotations + "}}");
        return CreateSpec.of("k8s.io", "app", bundle, List.of(), Stdio.none());
    }

    private RestoreRequest request() throws Exception {
        return new RestoreRequest(RestoreRequest.Origin.ANNOTATION, RestoreRequest.Source.IMAGES_DIR,
                Files.createDirectories(dir.resolve("images")));
    }

    @Test
    void prepare_annotationsMerged_writeInto_setsOrgCriuConfig_keepsTheRestOfTheSpec() throws Exception {
        CreateSpec spec = spec("\"restore-shim.dev/criu-tcp-established\":\"true\",\"restore-shim.dev/criu-file-locks\":\"true\"");
        var setup = new CriuSetup(CriuPolicy.of(Map.of("manage-cgroups-mode", "ignore"),
                List.of("tcp-established", "file-locks"), List.of()), () -> STOCK);
        CriuRestore r = setup.prepare(spec, request(), Map.of());
        Path file = r.writeInto(spec.bundle());
        assertEquals(spec.bundle().resolve(CriuConfigFile.NAME), file);
        List<String> lines = Files.readAllLines(file);
        assertEquals(List.of("tcp-established", "file-locks", "manage-cgroups=ignore"), lines.subList(1, lines.size()));
        var json = JsonMapper.builder().build().readTree(Files.readAllBytes(spec.bundle().resolve("config.json")));
        assertEquals(file.toString(), json.path("annotations").path("org.criu.config").asString());
        assertEquals("true", json.path("annotations").path("restore-shim.dev/criu-file-locks").asString());
        assertEquals("sh", json.path("process").path("args").path(0).asString());
    }

    @Test
    void prepare_lazyPagesWithoutUffd_failedPrecondition() throws Exception {
        CreateSpec spec = spec("\"restore-shim.dev/criu-lazy-pages\":\"true\"");
        var noUffd = new CriuFeatures("criu", "4.1.1", false, false, true, Map.of(), "");
        var setup = new CriuSetup(CriuPolicy.of(Map.of(), List.of("lazy-pages"), List.of()), () -> noUffd);
        var e = assertThrows(ShimException.class, () -> setup.prepare(spec, request(), Map.of()));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().startsWith("restore task \"app\": lazy-pages requested"), e.getMessage());
    }

    @Test
    void checkImages_cipherImgOnStockCriu_failedPreconditionNamingTheReason() throws Exception {
        CreateSpec spec = spec("");
        CriuRestore r = new CriuSetup(CriuPolicy.closed(), () -> STOCK).prepare(spec, request(), Map.of());
        r.checkImages(new CheckpointImages(name -> false, true));
        var e = assertThrows(ShimException.class,
                () -> r.checkImages(new CheckpointImages(name -> name.equals("cipher.img"), true)));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("is encrypted (cipher.img present)"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot decrypt images"), e.getMessage());
    }

    @Test
    void checkImages_autoDedup_keptForTheRestoresOwnCopy_droppedForImagesReadInPlace() throws Exception {
        CreateSpec spec = spec("\"restore-shim.dev/criu-auto-dedup\":\"true\"");
        var setup = new CriuSetup(CriuPolicy.of(Map.of("file-locks", "true"), List.of("auto-dedup"), List.of()),
                () -> STOCK);
        CriuRestore r = setup.prepare(spec, request(), Map.of());
        assertTrue(r.options().enabled(CriuOption.AUTO_DEDUP));

        CriuRestore staged = r.checkImages(new CheckpointImages(name -> false, true));
        assertTrue(staged.options().enabled(CriuOption.AUTO_DEDUP), "a private tmpfs copy may be punched out");

        CriuRestore inPlace = r.checkImages(new CheckpointImages(name -> false, false));
        assertFalse(inPlace.options().value(CriuOption.AUTO_DEDUP).isPresent(),
                "shared images (EROFS mount, image layer, directory) must stay intact");
        assertTrue(inPlace.options().enabled(CriuOption.FILE_LOCKS), "the other options stay");
        List<String> lines = Files.readAllLines(inPlace.writeInto(spec.bundle()));
        assertEquals(List.of("file-locks"), lines.subList(1, lines.size()));
    }
}
