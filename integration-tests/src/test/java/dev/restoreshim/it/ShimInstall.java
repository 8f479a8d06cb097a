package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where restore-shim is installed for the tests. {@code -Dit.shim.prefix=DIR} names an existing
 * install; otherwise {@code deploy/install.sh --prefix target/install} runs once per JVM, or, while
 * that script does not exist, a dev layout is made from the launcher script and the shaded jar in
 * {@code shim/target}. Either way
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
        } else if (Files.isExecutable(TestEnvironment.repoDir().resolve("deploy/install.sh"))) {
            dir = runInstallScript();
        } else {
            dir = devLayout();
        }
        Path launcher = dir.resolve("bin").resolve(LAUNCHER);
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("restore-shim install at " + dir + " has no executable bin/" + LAUNCHER);
        }
        return dir;
    }

    /**
     * Runs deploy/install.sh into {@code target/install} (config under {@code target/install/etc}),
     * with the JDK running the tests, and with the jar the reactor already built when there is one,
     * so that the script does not run Maven while the tests use the reactor's classes.
     */
    private static Path runInstallScript() {
        Path repo = TestEnvironment.repoDir();
        Path dir = TestEnvironment.workDir().resolve("install");
        List<String> argv = new ArrayList<>(List.of(repo.resolve("deploy/install.sh").toString(),
                "--prefix", dir.toString(), "--sysconfdir", dir.resolve("etc").toString(),
                "--java", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        Path jar = repo.resolve("shim/target/restore-shim.jar");
        if (Files.isRegularFile(jar)) {
            argv.addAll(List.of("--jar", jar.toString()));
        }
        HostCommand.Result result = HostCommand.of(argv).in(repo).withTimeout(Duration.ofMinutes(20)).run();
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + " failed with " + result.exitCode()
                    + ": " + tail(result.stderr() + result.stdout()));
        }
        return dir;
    }

    /**
     * Without deploy/install.sh: the install layout the launcher understands, made from the
     * checkout ({@code deploy/containerd-shim-restore-v2}) and the jar the reactor built
     * ({@code shim/target/restore-shim.jar}): {@code bin/} and {@code lib/restore-shim/}.
     */
    private static Path devLayout() {
        Path repo = TestEnvironment.repoDir();
        Path script = repo.resolve("deploy").resolve(LAUNCHER);
        Path jar = repo.resolve("shim/target/restore-shim.jar");
        if (!Files.isRegularFile(script) || !Files.isRegularFile(jar)) {
            throw new IllegalStateException("restore-shim is not installed: no deploy/install.sh, and no dev layout"
                    + " (need " + script + " and " + jar + ": merge main and run `mvn package` in shim)"
                    + "; or pass -Dit.shim.prefix=DIR");
        }
        Path dir = TestEnvironment.workDir().resolve("dev-install");
        try {
            Path bin = Files.createDirectories(dir.resolve("bin"));
            Path lib = Files.createDirectories(dir.resolve("lib/restore-shim"));
            Files.copy(script, bin.resolve(LAUNCHER), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(bin.resolve(LAUNCHER), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.copy(jar, lib.resolve("restore-shim.jar"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("cannot lay out restore-shim under " + dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    }
}
