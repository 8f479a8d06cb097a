package dev.restoreshim.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code restore-shim train --cli}: the CLI's workload, recorded by install.sh into the CLI's AOT
 * cache. It writes two tiny checkpoint archives ({@link TrainingArchive}: containerd and CRI-O
 * layouts) into a temporary directory and runs {@code inspect} on each, as text and {@code --json},
 * then {@code status --dir} on a directory with no daemon (UNREACHABLE, no connection made).
 * {@code --delta-files} is left out on purpose: it pulls Commons Compress and Commons IO into the
 * cache, and every cached class is loaded at start-up, from the shaded jar, which then has to be
 * opened (its 13,000-entry central directory costs 20-30 ms) even when only restore-shim's own
 * classes are needed. Nothing outside the temporary directory is touched. The first round prints to
 * {@code out} (the real output path); later rounds print nowhere.
 */
final class CliTraining {
    private static final int ROUNDS = 20;

    private CliTraining() {
    }

    static int run(PrintStream out) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "restore-shim-train-cli-");
        try {
            List<Path> archives = List.of(TrainingArchive.containerd(dir.resolve("containerd.tar")),
                    TrainingArchive.crio(dir.resolve("crio.tar")));
            PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
            int commands = 0;
            for (int round = 0; round < ROUNDS; round++) {
                PrintStream to = round == 0 ? out : nowhere;
                for (Path archive : archives) {
                    for (String flag : List.of("", "--json")) {
                        expect(Main.EXIT_OK, to, "inspect", archive.toString(), flag);
                        commands++;
                    }
                }
                expect(Main.EXIT_FAILURE, to, "status", "--dir", dir.resolve("no-daemon").toString());
                commands++;
            }
            out.println("trained: " + commands + " CLI commands");
            return Main.EXIT_OK;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Runs one command through {@link Main#run}; an unexpected exit code fails the training. */
    private static void expect(int exit, PrintStream out, String... words) {
        List<String> args = new ArrayList<>();
        for (String w : words) {
            if (!w.isEmpty()) {
                args.add(w);
            }
        }
        int got = Main.run(args.toArray(String[]::new), out, out);
        if (got != exit) {
            throw new IllegalStateException("train --cli: " + String.join(" ", args) + " exited " + got + ", expected " + exit);
        }
    }
}
