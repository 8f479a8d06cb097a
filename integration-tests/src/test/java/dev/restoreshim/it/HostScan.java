package dev.restoreshim.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads what exists on the host right now: mounts from {@code /proc/self/mountinfo} and processes
 * from {@code /proc}. Used by the leak checks and by {@link PrivateContainerd#close()}.
 */
public final class HostScan {

    /** A process seen in {@code /proc}, with the reason it matched. */
    public record HostProcess(long pid, String command, String matched) {
        @Override
        public String toString() {
            return "pid=" + pid + " cmd=\"" + command + "\" matched=" + matched;
        }
    }

    private HostScan() {
    }

    /** Mount points at or below {@code dir}, deepest first. */
    /** The {@code upperdir} of the overlay mounted on {@code mountPoint}, if there is one. */
    public static java.util.Optional<Path> overlayUpperDir(Path mountPoint) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                int dash = java.util.Arrays.asList(fields).indexOf("-");
                if (fields.length > 4 && dash > 0 && dash + 3 < fields.length
                        && Path.of(unescape(fields[4])).equals(mountPoint) && fields[dash + 1].equals("overlay")) {
                    for (String option : fields[dash + 3].split(",")) {
                        if (option.startsWith("upperdir=")) {
                            return java.util.Optional.of(Path.of(unescape(option.substring("upperdir=".length()))));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
        return java.util.Optional.empty();
    }

    public static List<Path> mountsUnder(Path dir) {
        List<Path> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    Path point = Path.of(unescape(fields[4]));
                    if (point.startsWith(dir)) {
                        found.add(point);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
        found.sort((a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
        return found;
    }

    /**
     * Processes that belong to a test instance: environment holds {@code marker} (set on containerd
     * and inherited by shims and the restore-shim daemon), command line mentions {@code dir}, or
     * cgroup path contains {@code /cgroupParent/} (containers). Excludes this JVM and {@code exceptPid}.
     */
    public static List<HostProcess> processesOf(String marker, Path dir, String cgroupParent, long exceptPid) {
        long self = ProcessHandle.current().pid();
        List<HostProcess> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path proc : entries.toList()) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                if (pid == self || pid == exceptPid) {
                    continue;
                }
                String matched = match(proc, marker, dir, cgroupParent);
                if (matched != null) {
                    found.add(new HostProcess(pid, read(proc.resolve("cmdline")).replace('\0', ' ').strip(), matched));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return found;
    }

    private static String match(Path proc, String marker, Path dir, String cgroupParent) {
        String cmdline = read(proc.resolve("cmdline"));
        if (cmdline.isEmpty() && read(proc.resolve("stat")).contains(") Z ")) {
            return null; // zombie; its parent reaps it
        }
        if (cmdline.contains(dir.toString())) {
            return "cmdline";
        }
        for (String entry : read(proc.resolve("environ")).split("\0")) {
            if (entry.equals(marker)) {
                return "environ";
            }
        }
        if (read(proc.resolve("cgroup")).contains("/" + cgroupParent + "/")) {
            return "cgroup";
        }
        return null;
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return ""; // gone, or a kernel thread
        }
    }

    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
