package dev.restoreshim.restore;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The reason CRIU gives for a failed restore. runc only says "criu failed: type RESTORE errno 0"
 * and names the log; the lines that explain it ({@code Error (criu/files-reg.c:..): Can't open
 * file ...}) are in {@code restore.log} in the work directory. This reads the tail of that log
 * and adds its first error lines to the Start error (the first is usually the cause; the later ones
 * are consequences, such as "Restoring FAILED").
 */
public final class CriuRestoreLog {
    /** The log CRIU writes into the work directory on restore. */
    public static final String FILE = "restore.log";
    private static final int TAIL_BYTES = 64 * 1024;
    private static final int MAX_LINES = 3;
    /** Logged as an error when raising the fd limit is refused (as on hosts that forbid it); CRIU carries on. */
    private static final String BENIGN = "Can't setup RLIMIT_NOFILE";

    private CriuRestoreLog() {
    }

    /** The first error lines of {@code log}'s tail (at most three, joined by " | "), or "" when none or unreadable. */
    public static String errors(Path log) {
        if (!Files.isRegularFile(log)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(0, f.length() - TAIL_BYTES);
            byte[] tail = new byte[(int) (f.length() - start)];
            f.seek(start);
            f.readFully(tail);
            List<String> errors = new ArrayList<>();
            for (String line : new String(tail, StandardCharsets.UTF_8).split("\n")) {
                if ((line.contains("Error (") || line.contains("Error:")) && !line.contains(BENIGN)) {
                    errors.add(line.strip());
                }
            }
            return String.join(" | ", errors.subList(0, Math.min(MAX_LINES, errors.size())));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * {@code failure} of a restore whose CRIU work directory is {@code workDir}, with CRIU's own
     * error lines added to its message when the log has any; otherwise {@code failure} itself.
     */
    public static RuntimeException explain(RuntimeException failure, Path workDir) {
        Path log = workDir.resolve(FILE);
        String errors = errors(log);
        if (errors.isEmpty()) {
            return failure;
        }
        ErrorKind kind = failure instanceof ShimException s ? s.kind() : ErrorKind.INTERNAL;
        return new ShimException(kind, failure.getMessage() + "; CRIU " + log + ": " + errors, failure);
    }
}
