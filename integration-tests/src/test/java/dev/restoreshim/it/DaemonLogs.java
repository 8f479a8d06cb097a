package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The restore-shim daemon logs of one instance ({@code <shim state>/d/<id>/daemon.log}). */
public final class DaemonLogs {

    private DaemonLogs() {
    }

    /** Every daemon log of {@code containerd}, concatenated; empty when none exists yet. */
    public static String read(PrivateContainerd containerd) throws IOException {
        Path daemons = containerd.shimState().resolve("d");
        if (!Files.isDirectory(daemons)) {
            return "";
        }
        StringBuilder all = new StringBuilder();
        try (Stream<Path> dirs = Files.list(daemons)) {
            for (Path dir : dirs.sorted().toList()) {
                Path log = dir.resolve("daemon.log");
                if (Files.isRegularFile(log)) {
                    all.append(Files.readString(log));
                }
            }
        }
        return all.toString();
    }
}
