package dev.restoreshim.sys;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What to spawn: argv (argv[0] is looked up on PATH when not absolute), the complete environment,
 * the working directory (null: inherit) and the child's file descriptors as a map from the fd
 * number in the child to an fd of this process. Every other fd is closed in the child; fds 0-2
 * missing from the map become {@code /dev/null}.
 */
public record LaunchSpec(List<String> argv, Map<String, String> env, Path workDir, Map<Integer, Integer> fds) {
    public LaunchSpec {
        argv = List.copyOf(Objects.requireNonNull(argv, "argv"));
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv: must not be empty");
        }
        env = Map.copyOf(Objects.requireNonNull(env, "env"));
        fds = new TreeMap<>(Objects.requireNonNull(fds, "fds"));
        for (var e : fds.entrySet()) {
            if (e.getKey() < 0 || e.getValue() < 0) {
                throw new IllegalArgumentException("fds: negative fd in " + e);
            }
        }
        fds = java.util.Collections.unmodifiableMap(fds);
    }

    /** A spec with this process's environment, no working directory change and the given fds. */
    public static LaunchSpec of(List<String> argv, Map<Integer, Integer> fds) {
        return new LaunchSpec(argv, System.getenv(), null, fds);
    }
}
