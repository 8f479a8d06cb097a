package dev.restoreshim.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real cgroup created for a test, in each v1 hierarchy named (hybrid or v1 hosts) or as one v2
 * directory (unified hosts), removed again by {@link #close()}. Needs root.
 */
final class HostCgroup implements AutoCloseable {
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");

    private final List<Path> dirs = new ArrayList<>();
    private final boolean unified;

    HostCgroup(String name, String... v1Controllers) throws IOException {
        unified = Files.exists(CGROUP.resolve("cgroup.controllers"));
        if (unified) {
            dirs.add(Files.createDirectory(CGROUP.resolve(name)));
        } else {
            for (String controller : v1Controllers) {
                dirs.add(Files.createDirectory(CGROUP.resolve(controller).resolve(name)));
            }
        }
    }

    static boolean usable() {
        return "root".equals(System.getProperty("user.name")) && Files.isDirectory(CGROUP);
    }

    boolean unified() {
        return unified;
    }

    /** Moves {@code pid} into this cgroup in every hierarchy. */
    void add(long pid) throws IOException {
        for (Path dir : dirs) {
            Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
        }
    }

    /** The cgroup.procs paths, for a child shell to move itself in. */
    List<Path> procsFiles() {
        return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /**
     * Starts {@code command} inside this cgroup: a shell moves itself in, then execs it, so the
     * memory the command touches is charged here (v1 does not move charges of a process moved
     * in later). Returns once the exec happened.
     */
    Process start(String... command) throws IOException, InterruptedException {
        String moveIn = procsFiles().stream().map(p -> "echo $$ > " + p).collect(Collectors.joining(" && "));
        List<String> argv = new ArrayList<>(List.of("sh", "-c", moveIn + " && exec \"$@\"", "sh"));
        argv.addAll(List.of(command));
        Process process = new ProcessBuilder(argv).start();
        String program = Path.of(command[0]).getFileName().toString();
        for (int i = 0; i < 250; i++) {
            boolean execed = process.info().command().map(c -> c.endsWith("/" + program)).orElse(false);
            if (execed || !process.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        return process;
    }

    void limitMemory(long bytes) throws IOException {
        for (Path dir : dirs) {
            Path file = dir.resolve(unified ? "memory.max" : "memory.limit_in_bytes");
            if (Files.exists(file)) {
                Files.writeString(file, Long.toString(bytes));
            }
        }
    }

    /** Removes the directories; the caller has killed and reaped every process in them. */
    @Override
    public void close() throws IOException, InterruptedException {
        IOException failure = null;
        for (Path dir : dirs) {
            for (int attempt = 0; ; attempt++) {
                try {
                    Files.deleteIfExists(dir);
                    break;
                } catch (IOException e) {
                    if (attempt == 50) {
                        failure = e;
                        break;
                    }
                    Thread.sleep(20);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
