package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.archive.CheckpointFixtures;
import dev.restoreshim.image.FakeRegistry;
import dev.restoreshim.image.ImageRef;
import dev.restoreshim.image.TestBaseImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code restore-shim convert} through {@link Main}, against an in-process registry. */
class ConvertCommandTest {
    @TempDir
    Path tmp;
    private FakeRegistry registry;
    private ImageRef base;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws IOException {
        registry = new FakeRegistry();
        base = TestBaseImage.publish(registry, "base/app", "1", true);
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void pushPrintsTheImageWithItsDigest() {
        Path archive = CheckpointFixtures.crio(tmp);
        int code = run("convert", archive.toString(), "--push", registry.host() + "/ckpt/app:1", "--base", base.toString(),
                "--plain-http");
        assertEquals(0, code, err());
        String line = out.toString(StandardCharsets.UTF_8);
        assertTrue(line.startsWith(registry.host() + "/ckpt/app:1@sha256:"), line);
        assertTrue(line.contains("MOUNTED=2"), line);
        assertEquals("", err(), "no progress bar without a terminal");
    }

    @Test
    void ociLayoutIsWritten() throws IOException {
        Path layout = tmp.resolve("out");
        int code = run("convert", CheckpointFixtures.containerd(tmp).toString(), "--oci-layout", layout.toString(), "--tag", "t1",
                "--base", base.toString(), "--plain-http");
        assertEquals(0, code, err());
        assertTrue(Files.readString(layout.resolve("index.json")).contains("\"t1\""));
    }

    @Test
    void anUnreadableArchiveIsOneLineNamingIt() {
        int code = run("convert", tmp.resolve("missing.tar").toString(), "--push", registry.host() + "/c:1", "--plain-http");
        assertEquals(Main.EXIT_FAILURE, code);
        assertTrue(err().contains("missing.tar") && err().contains("no such file"), err());
        assertEquals(1, err().lines().count(), err());
    }

    @Test
    void aBaseImageMissingFromTheRegistryIsNamed() {
        int code = run("convert", CheckpointFixtures.containerd(tmp).toString(), "--push", registry.host() + "/c:1",
                "--base", registry.host() + "/nope/x:9", "--plain-http");
        assertEquals(Main.EXIT_FAILURE, code);
        assertTrue(err().contains("base image " + registry.host() + "/nope/x:9") && err().contains("not found"), err());
        assertEquals(1, err().lines().count(), err());
    }

    @Test
    void theBaseDefaultsToTheArchivesImage() {
        int code = run("convert", CheckpointFixtures.containerd(tmp).toString(), "--push", "127.0.0.1:1/c:1", "--plain-http");
        assertEquals(Main.EXIT_FAILURE, code);
        assertTrue(err().contains("localhost:5000/fill:1"), "config.dump's rootfsImageName is the base: " + err());
    }

    @Test
    void pushAndLayoutTogetherIsAUsageError() {
        assertEquals(Main.EXIT_USAGE, run("convert", "a.tar", "--push", "r/x:1", "--oci-layout", "d"));
        assertEquals(Main.EXIT_USAGE, run("convert", "a.tar"));
        assertTrue(err().contains("usage: restore-shim convert"), err());
    }
}
