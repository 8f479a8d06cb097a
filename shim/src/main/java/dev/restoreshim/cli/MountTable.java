package dev.restoreshim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The mount points listed in a {@code mountinfo} file (field 5, with the kernel's octal escapes
 * {@code \040} for space, {@code \011}, {@code \012}, {@code \134} undone).
 */
final class MountTable {
    /** This process's mount table. */
    static final Path SELF = Path.of("/proc/self/mountinfo");

    private final Set<String> mountPoints;

    private MountTable(Set<String> mountPoints) {
        this.mountPoints = mountPoints;
    }

    /** Reads a mountinfo file. */
    static MountTable read(Path mountinfo) throws IOException {
        return parse(Files.readString(mountinfo, StandardCharsets.UTF_8));
    }

    /** Parses mountinfo text; malformed lines are skipped. */
    static MountTable parse(String text) {
        Set<String> points = new HashSet<>();
        for (String line : text.split("\n")) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                points.add(unescape(fields[4]));
            }
        }
        return new MountTable(points);
    }

    /** Whether something is mounted exactly at {@code path} (compared after normalising). */
    boolean isMountPoint(Path path) {
        return mountPoints.contains(path.toAbsolutePath().normalize().toString());
    }

    private static String unescape(String field) {
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
