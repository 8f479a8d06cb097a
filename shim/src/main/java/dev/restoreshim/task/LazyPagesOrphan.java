package dev.restoreshim.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A {@code criu lazy-pages} daemon that outlived the node daemon which started it, found through
 * the pid file the node daemon writes into the restore's CRIU work dir
 * ({@code <bundle>/criu-work/}{@value #PID_FILE}; the launcher's {@code delete} reads it too). A
 * pid is trusted only while its command line is a lazy-pages daemon on that work dir: a recycled
 * pid names some other process.
 */
final class LazyPagesOrphan {
    /** The pid file's name in the CRIU work dir. */
    static final String PID_FILE = "lazy-pages.pid";

    private LazyPagesOrphan() {
    }

    /** The live lazy-pages daemon {@code work}'s pid file names, if any. */
    static Optional<ProcessHandle> find(Path work) throws IOException {
        Path pidFile = work.resolve(PID_FILE);
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (NumberFormatException e) {
            throw new IOException(pidFile + ": not a pid: " + e.getMessage(), e);
        }
        return ProcessHandle.of(pid).filter(h -> h.info().commandLine()
                .map(c -> c.contains(" lazy-pages ") && c.contains(work.toString())).orElse(false));
    }
}
