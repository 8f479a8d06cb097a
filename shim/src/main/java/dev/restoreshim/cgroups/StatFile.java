package dev.restoreshim.cgroups;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Parsers for the cgroup file formats. Values are unsigned 64-bit, held in a {@code long} (use
 * {@link Long#toUnsignedString}); the word {@code max} reads as 2^64-1, which is {@code -1L}.
 */
final class StatFile {
    /** The value {@code max} stands for: 2^64-1. */
    static final long MAX = -1L;

    private StatFile() {
    }

    /** One value ({@code memory.current}, {@code pids.max}); empty when the text is not a number. */
    static OptionalLong single(String text) {
        String value = text.trim();
        if (value.equals("max")) {
            return OptionalLong.of(MAX);
        }
        try {
            return OptionalLong.of(Long.parseUnsignedLong(value));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Lines of {@code key value} ({@code memory.stat}, {@code cpu.stat}); unparsable lines are skipped. */
    static Map<String, Long> flatKeyed(String text) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length == 2) {
                single(parts[1]).ifPresent(v -> values.put(parts[0], v));
            }
        }
        return values;
    }

    /** Whitespace-separated values ({@code cpuacct.usage_percpu}). */
    static List<Long> list(String text) {
        List<Long> values = new ArrayList<>();
        for (String token : text.trim().split("\\s+")) {
            if (!token.isEmpty()) {
                single(token).ifPresent(values::add);
            }
        }
        return values;
    }

    /** {@code key=value} pairs of one line ({@code io.stat}, {@code *.pressure}), after its first word. */
    static Map<String, String> nestedKeyed(String line) {
        Map<String, String> values = new LinkedHashMap<>();
        String[] parts = line.trim().split("\\s+");
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq > 0) {
                values.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
            }
        }
        return values;
    }
}
