package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.archive.ArchiveFlavour;
import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.Compression;
import dev.restoreshim.archive.EntryPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTrainingTest {
    @TempDir
    Path dir;

    private static CheckpointSummary summary(Path archive) {
        try (CheckpointArchive a = CheckpointArchive.open(archive, EntryPolicy.defaults())) {
            return a.summary(true);
        }
    }

    @Test
    void containerdArchive_readsAsContainerdWithGzipDeltaAndWhiteouts() throws Exception {
        CheckpointSummary s = summary(TrainingArchive.containerd(dir.resolve("c.tar")));
        assertEquals(ArchiveFlavour.CONTAINERD, s.flavour());
        assertEquals(Compression.GZIP, s.delta().compression());
        assertEquals(4, s.delta().fileCount());
        assertEquals(2, s.delta().deletions());
        assertEquals("train", s.container().displayName());
        assertEquals("4.1.1", s.criuVersion());
        assertEquals(2, s.imageFormatVersion());
        assertEquals(60, s.dumpStats().pagesScanned());
        assertEquals(3 * 4096, s.pagesBytes());
        assertEquals(List.of(), s.warnings());
    }

    @Test
    void crioArchive_readsAsCrioWithPlainDeltaAndDeletedFiles() throws Exception {
        CheckpointSummary s = summary(TrainingArchive.crio(dir.resolve("o.tar")));
        assertEquals(ArchiveFlavour.CRI_O, s.flavour());
        assertEquals(Compression.NONE, s.delta().compression());
        assertEquals(2, s.delta().fileCount());
        assertEquals(2, s.delta().deletions());
        assertEquals(List.of(), s.warnings());
    }

    @Test
    void run_inspectsBothArchivesAndProbesNoDaemon_leavesNoTempDir() throws Exception {
        List<Path> before = trainDirs();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, CliTraining.run(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("engine        containerd CRI"), out);
        assertTrue(out.contains("engine        CRI-O"), out);
        assertTrue(out.contains("\"engine\" : \"containerd\""), out);
        assertTrue(out.contains("UNREACHABLE"), out);
        assertTrue(out.endsWith("trained: 100 CLI commands\n"), out);
        assertEquals(before, trainDirs());
    }

    @Test
    void trainCommand_refusesCliWithGrpc() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"train", "--cli", "--grpc"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Main.EXIT_USAGE, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--grpc and --cli"), err.toString(StandardCharsets.UTF_8));
    }

    private static List<Path> trainDirs() throws Exception {
        try (var s = Files.list(Path.of("/tmp"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("restore-shim-train-cli-")).sorted().toList();
        }
    }
}
