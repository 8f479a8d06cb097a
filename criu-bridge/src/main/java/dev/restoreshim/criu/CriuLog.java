package dev.restoreshim.criu;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a CRIU log ({@code restore.log} in the work directory) and finds its first real error:
 * the first {@code Error (criu/<file>:<line>): ...} line that is not one CRIU logs and carries on
 * from (such as the refused RLIMIT_NOFILE raise). The first error is the cause; the later ones
 * ("Restoring FAILED", "killed by signal 9") are its consequences. The log is read from the start,
 * line by line, and reading stops at that error or after {@value #MAX_BYTES} bytes.
 */
public final class CriuLog {
    /** The log CRIU writes into the work directory on restore (runc's choice). */
    public static final String RESTORE_LOG = "restore.log";
    /** Bytes read at most (a debug log of a big restore runs to megabytes; the cause comes early). */
    static final long MAX_BYTES = 64L << 20;
    private static final Pattern ERROR = Pattern.compile(
            "^\\(\\s*[0-9.]+\\)\\s+(?:(\\d+): )?Error \\((criu/[^:)]+)(?::\\d+)?\\): (.*)$");
    /** Errors CRIU logs and then carries on from. */
    private static final List<String> BENIGN = List.of("Can't setup RLIMIT_NOFILE");
    private static final Pattern OPEN_FILE = Pattern.compile("Can't open file (\\S+?)(?: on restore)?: (.*)");
    private static final Pattern FORK = Pattern.compile("Can't fork for (\\d+): File exists");
    private static final Pattern MOUNT_ID = Pattern.compile("(?:No mapping for|mountpoint) ([0-9]+:\\S+)");

    private CriuLog() {
    }

    /** The first real error of the log at {@code log}; empty when there is none or it cannot be read. */
    public static Optional<CriuLogError> firstError(Path log) {
        if (!Files.isRegularFile(log)) {
            return Optional.empty();
        }
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try (BufferedReader r = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(log), decoder))) {
            long read = 0;
            boolean noInventory = false;
            for (String line = r.readLine(); line != null && read < MAX_BYTES; line = r.readLine()) {
                read += line.length() + 1;
                if (line.contains("No inventory.img image")) {
                    noInventory = true;
                }
                Matcher m = ERROR.matcher(line.strip());
                if (m.matches() && BENIGN.stream().noneMatch(line::contains)) {
                    return Optional.of(classify(m.group(2), m.group(3).strip(), line.strip(), log, noInventory));
                }
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A sentence for a failed restore: {@code failure}, then CRIU's first real error from
     * {@code workDir}/{@value #RESTORE_LOG} when the log has one, e.g. {@code runc restore: criu
     * failed; CRIU <log>: a file ... is missing: /app.sh (CRIU: "...")}. Empty when the log has no error.
     */
    public static Optional<String> explain(String failure, Path workDir) {
        Path log = workDir.resolve(RESTORE_LOG);
        return firstError(log).map(e -> failure + "; CRIU " + log + ": " + e.summary());
    }

    static CriuLogError classify(String source, String message, String line, Path log, boolean noInventory) {
        Matcher open = OPEN_FILE.matcher(message);
        if (open.find()) {
            String path = open.group(1);
            return new CriuLogError(CriuLogError.Category.MISSING_FILE, path.startsWith("/") ? path : "/" + path,
                    message, line, log);
        }
        if (noInventory) {
            return new CriuLogError(CriuLogError.Category.NO_IMAGES, "", message, line, log);
        }
        Matcher fork = FORK.matcher(message);
        if (fork.find()) {
            return new CriuLogError(CriuLogError.Category.PID_IN_USE, "pid " + fork.group(1), message, line, log);
        }
        if (source.endsWith("mount.c") || source.endsWith("mount-v2.c") || message.startsWith("mnt:")) {
            Matcher id = MOUNT_ID.matcher(message);
            return new CriuLogError(CriuLogError.Category.MOUNT_MISMATCH, id.find() ? "mount " + id.group(1) : "",
                    message, line, log);
        }
        if (source.endsWith("uffd.c") || message.contains("lazy-pages")) {
            return new CriuLogError(CriuLogError.Category.LAZY_PAGES, "", message, line, log);
        }
        String lower = message.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("not supported") || lower.contains("unsupported") || lower.contains("isn't supported")
                || lower.contains("unknown feature")) {
            return new CriuLogError(CriuLogError.Category.UNSUPPORTED, "", message, line, log);
        }
        return new CriuLogError(CriuLogError.Category.OTHER, "", message, line, log);
    }
}
