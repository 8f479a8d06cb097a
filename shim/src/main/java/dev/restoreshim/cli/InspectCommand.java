package dev.restoreshim.cli;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.EntryPolicy;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code restore-shim inspect ARCHIVE [--json] [--delta-files]}: what a checkpoint archive holds
 * (container, image, runtime, times, CRIU version, memory size, delta, CRIU images), from tar headers
 * and the small metadata members only. An uncompressed archive is never read beyond its headers and
 * those members; a compressed one is decompressed once. {@code --delta-files} also decompresses a
 * gzip {@code rootfs-diff.tar} (containerd) to count its entries. Exit 0 on success, 1 when the
 * archive cannot be read or breaks the entry policy.
 */
final class InspectCommand {
    private static final Set<String> BOOLEANS = Set.of("json", "delta-files");

    private final PrintStream out;

    InspectCommand(PrintStream out) {
        this.out = out;
    }

    int run(List<String> args) {
        Flags flags = Flags.parse(args, Set.of(), BOOLEANS);
        if (flags.positional().size() != 1) {
            throw new UsageException("usage: restore-shim inspect ARCHIVE [--json] [--delta-files]");
        }
        Path archive = Path.of(flags.positional().getFirst());
        CheckpointSummary summary;
        try (CheckpointArchive a = CheckpointArchive.open(archive, EntryPolicy.defaults())) {
            summary = a.summary(flags.has("delta-files"));
        }
        out.print(flags.has("json") ? InspectJson.render(summary) : InspectText.render(summary));
        out.flush();
        return Main.EXIT_OK;
    }
}
