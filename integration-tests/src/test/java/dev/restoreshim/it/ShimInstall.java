package dev.restoreshim.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where restore-shim is installed for the tests. {@code -Dit.shim.prefix=DIR} names an existing
 * install; otherwise {@code deploy/install.sh --prefix target/install} runs once per JVM. Either way
 * {@code DIR/bin/containerd-shim-restore-v2} must exist, or the test fails saying why.
 */
public final class ShimInstall {

    /** The launcher containerd runs for runtime type {@code io.containerd.restore.v2}. */
    public static final String LAUNCHER = "containerd-shim-restore-v2";

    private static Path prefix;

    private ShimInstall() {
    }

    /** The install prefix, installing first if needed. */
    public static synchronized Path prefix() {
        if (prefix == null) {
            prefix = locate();
        }
        return prefix;
    }

    /** The launcher's path under the install prefix. */
    public static Path launcher() {
        return prefix().resolve("bin").resolve(LAUNCHER);
    }

    private static Path locate() {
        String given = System.getProperty("it.shim.prefix");
        Path dir;
        if (given != null && !given.isBlank()) {
            dir = Path.of(given).toAbsolutePath();
        } else {
            Path script = TestEnvironment.repoDir().resolve("deploy/install.sh");
            if (!Files.isExecutable(script)) {
                throw new IllegalStateException("restore-shim is not installed: " + script + " does not exist yet"
                        + " (merge main once the shim is there) and -Dit.shim.prefix=DIR was not given");
            }
            dir = TestEnvironment.workDir().resolve("install");
            HostCommand.Result result = HostCommand.of(script.toString(), "--prefix", dir.toString())
                    .in(TestEnvironment.repoDir())
                    .withTimeout(Duration.ofMinutes(20))
                    .run();
            if (!result.ok()) {
                throw new IllegalStateException("deploy/install.sh --prefix " + dir + " failed with " + result.exitCode()
                        + ": " + tail(result.stderr() + result.stdout()));
            }
        }
        Path launcher = dir.resolve("bin").resolve(LAUNCHER);
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("restore-shim install at " + dir + " has no executable bin/" + LAUNCHER);
        }
        return dir;
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    }
}
