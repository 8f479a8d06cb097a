package dev.restoreshim.runc;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads runc's {@code --log-format json} log: one object per line,
 * {@code {"level":"error","msg":"...","time":"..."}}. Only the part a call appended is looked at,
 * so an old error never explains a new failure.
 */
public final class RuncLog {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_TAIL = 64 * 1024;

    private RuncLog() {
    }

    /** The log's current size, 0 when it does not exist yet: the offset to read from after a call. */
    public static long size(Path log) {
        try {
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The last error message at or after {@code offset} (at most the last 64 KiB), if any. */
    public static Optional<String> lastError(Path log, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(offset, f.length() - MAX_TAIL);
            byte[] tail = new byte[(int) Math.max(0, f.length() - start)];
            f.seek(start);
            f.readFully(tail);
            return lastError(new String(tail, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The message of the last {@code level=error} (or fatal) line; failing that, of the last line
     * that parses at all.
     */
    public static Optional<String> lastError(String logText) {
        String lastError = null;
        String lastAny = null;
        for (String line : logText.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode n = JSON.readTree(line);
                String msg = n.path("msg").asString("");
                if (msg.isEmpty()) {
                    continue;
                }
                String level = n.path("level").asString("");
                lastAny = msg;
                if (level.equals("error") || level.equals("fatal")) {
                    lastError = msg;
                }
            } catch (JacksonException partialOrForeignLine) {
                lastAny = line.strip();
            }
        }
        return Optional.ofNullable(lastError != null ? lastError : lastAny);
    }
}
