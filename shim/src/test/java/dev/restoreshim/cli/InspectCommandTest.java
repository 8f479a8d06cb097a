package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.archive.CheckpointFixtures;
import dev.restoreshim.archive.TarBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class InspectCommandTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "inspect";
        System.arraycopy(args, 0, all, 1, args.length);
        return Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void inspect_containerd_printsReadableSummary() {
        Path file = CheckpointFixtures.containerd(dir);
        assertEquals(Main.EXIT_OK, run(file.toString()), err.toString());
        String text = out();
        assertTrue(text.contains("archive       " + file + "\n"), text);
        assertTrue(text.contains("format        uncompressed tar, "), text);
        assertTrue(text.contains("engine        containerd CRI\n"), text);
        assertTrue(text.contains("container     fill (fill_pod-a_default_1234_0, id 4f1c0de)\n"), text);
        assertTrue(text.contains("image         localhost:5000/fill:1\n"), text);
        assertTrue(text.contains("runtime       io.containerd.runc.v2\n"), text);
        assertTrue(text.contains("checkpointed  2026-11-23T10:05:00Z\n"), text);
        assertTrue(text.contains("criu          4.1.1 (image format 1)\n"), text);
        assertTrue(text.contains("memory        16.0 KiB in 2 pages files\n"), text);
        assertTrue(text.contains("delta         rootfs-diff.tar ") && text.contains("gzip OCI layer with .wh. whiteouts; entries not counted"), text);
        assertTrue(text.contains("criu images   8 files, "), text);
        assertTrue(text.contains("  pages-1.img       12.0 KiB\n"), text);
        assertEquals("", err.toString());
    }

    @Test
    void inspect_deltaFiles_countsGzipDelta() {
        assertEquals(Main.EXIT_OK, run(CheckpointFixtures.containerd(dir).toString(), "--delta-files"));
        assertTrue(out().contains("; 6 entries, 20 B of file data, 2 deletions\n"), out());
    }

    @Test
    void inspect_json_podmanZstd() {
        Path file = CheckpointFixtures.podman(dir);
        assertEquals(Main.EXIT_OK, run("--json", file.toString()), err.toString());
        JsonNode j = JsonMapper.builder().build().readTree(out());
        assertEquals(file.toString(), j.get("archive").asString());
        assertEquals("zstd", j.get("compression").asString());
        assertEquals("podman", j.get("engine").asString());
        assertEquals("web", j.get("container").get("name").asString());
        assertEquals("nginx", j.get("container").get("args").get(0).asString());
        assertEquals(CheckpointFixtures.PAGES + CheckpointFixtures.PAGES_2, j.get("memory_bytes").asLong());
        assertEquals("plain_tar", j.get("delta").get("format").asString());
        assertEquals(1, j.get("delta").get("entries").asLong());
        assertEquals(8, j.get("criu_images").size());
        assertEquals("inventory.img", j.get("criu_images").get(0).get("name").asString());
        assertEquals(10, j.get("criu_images").get(0).get("bytes").asLong());
    }

    @Test
    void json_escapesAndNesting_parseBack() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("s", "q\"b\\n\n\u0001é");
        m.put("n", -3L);
        m.put("e", java.util.List.of());
        m.put("o", java.util.Map.of());
        m.put("l", java.util.List.of(true, java.util.Map.of("k", "v")));
        JsonNode j = JsonMapper.builder().build().readTree(JsonOut.write(m));
        assertEquals("q\"b\\n\n\u0001é", j.get("s").asString());
        assertEquals(-3, j.get("n").asLong());
        assertEquals(0, j.get("e").size());
        assertEquals("v", j.get("l").get(1).get("k").asString());
    }

    @Test
    void inspect_maliciousArchive_failsWithOneLine() {
        Path file = CheckpointFixtures.write(dir.resolve("evil.tar"),
                new TarBuilder().symlink("checkpoint/x", "../../../etc/shadow").build());
        assertEquals(Main.EXIT_FAILURE, run(file.toString()));
        assertEquals("restore-shim inspect: archive " + file + ": entry \"checkpoint/x\": symlink target "
                + "\"../../../etc/shadow\" escapes the extraction root\n", err.toString());
        assertEquals("", out());
    }

    @Test
    void inspect_noArchive_isUsageError() {
        assertEquals(Main.EXIT_USAGE, run("--json"));
        assertTrue(err.toString().contains("usage: restore-shim inspect ARCHIVE"), err.toString());
    }
}
