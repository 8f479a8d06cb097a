package dev.restoreshim.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host programs the integration tests need, checked once per JVM. A missing or too old tool
 * fails the test with one message that names every problem and how to fix it; the tests never
 * skip silently.
 */
public final class HostTools {

    /** Where the busybox-static package puts its binary. */
    public static final Path BUSYBOX = Path.of("/bin/busybox");
    /** Where Debian's docker-registry package puts the registry binary. */
    public static final Path DOCKER_REGISTRY = Path.of("/usr/bin/docker-registry");

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");
    private static volatile List<String> problems;

    private HostTools() {
    }

    /** Throws with a message naming every missing tool, unless all are present and recent enough. */
    public static void requireAll() {
        List<String> found = problems;
        if (found == null) {
            found = check();
            problems = found;
        }
        if (!found.isEmpty()) {
            throw new IllegalStateException("host is not set up for the integration tests: " + String.join("; ", found)
                    + ". Run deploy/setup-host.sh (as root) and try again.");
        }
    }

    private static List<String> check() {
        List<String> missing = new ArrayList<>();
        requireVersion(missing, "containerd", List.of("containerd", "--version"), 2, 1);
        requireVersion(missing, "runc", List.of("runc", "--version"), 1, 1);
        requireVersion(missing, "criu", List.of("criu", "--version"), 4, 1);
        requireVersion(missing, "podman", List.of("podman", "--version"), 4, 0);
        requireVersion(missing, "buildah", List.of("buildah", "--version"), 1, 0);
        requireVersion(missing, "ctr", List.of("ctr", "--version"), 2, 1);
        requirePresent(missing, "script (util-linux)", List.of("script", "--version"));
        requirePresent(missing, "umount", List.of("umount", "--version"));
        if (!Files.isExecutable(DOCKER_REGISTRY)) {
            missing.add("docker-registry missing (" + DOCKER_REGISTRY + ", Debian package docker-registry)");
        }
        if (!Files.isExecutable(BUSYBOX)) {
            missing.add("busybox-static missing (" + BUSYBOX + ")");
        } else if (HostCommand.of("ldd", BUSYBOX.toString()).run().stdout().contains("=>")) {
            missing.add(BUSYBOX + " is dynamically linked (install busybox-static)");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("the tests must run as root (they start containerd), running as " + System.getProperty("user.name"));
        }
        return List.copyOf(missing);
    }

    private static void requirePresent(List<String> missing, String name, List<String> argv) {
        try {
            HostCommand.of(argv).withTimeout(Duration.ofSeconds(20)).run();
        } catch (RuntimeException e) {
            missing.add(name + " missing");
        }
    }

    private static void requireVersion(List<String> missing, String name, List<String> argv, int major, int minor) {
        Optional<int[]> version;
        try {
            HostCommand.Result result = HostCommand.of(argv).withTimeout(Duration.ofSeconds(20)).run();
            version = parse(result.stdout() + "\n" + result.stderr());
        } catch (RuntimeException e) {
            missing.add(name + " missing");
            return;
        }
        if (version.isEmpty()) {
            missing.add(name + ": cannot read its version from `" + String.join(" ", argv) + "`");
        } else if (version.get()[0] < major || (version.get()[0] == major && version.get()[1] < minor)) {
            missing.add(name + " " + version.get()[0] + "." + version.get()[1] + " is too old (need >= " + major + "." + minor + ")");
        }
    }

    /** The first dotted version number in a tool's version output. */
    static Optional<int[]> parse(String text) {
        for (String line : text.split("\n")) {
            // containerd prints its module path before the version; skip tokens with a '/'
            for (String token : line.split("\\s+")) {
                if (token.contains("/")) {
                    continue;
                }
                Matcher m = VERSION.matcher(token);
                if (m.find()) {
                    return Optional.of(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                }
            }
        }
        return Optional.empty();
    }
}
