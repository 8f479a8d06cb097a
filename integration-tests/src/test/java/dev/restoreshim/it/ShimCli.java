package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The restore-shim command line of the shaded jar ({@code shim/target/restore-shim.jar}), run with
 * the JDK running the tests against one instance's shim config.
 */
public final class ShimCli {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ShimCli() {
    }

    /** {@code restore-shim ARGS...}, checked for exit status 0. */
    public static HostCommand.Result run(String... args) {
        Path jar = TestEnvironment.repoDir().resolve("shim/target/restore-shim.jar");
        assertTrue(Files.isRegularFile(jar), "run `mvn package` in shim first: no " + jar);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of(javaBin, "-jar", jar.toString()));
        argv.addAll(java.util.List.of(args));
        return HostCommand.of(argv).withTimeout(Duration.ofSeconds(60)).check();
    }

    /** {@code restore-shim status --config <instance config> [--json]}'s output. */
    public static String status(PrivateContainerd containerd, boolean json) {
        String config = containerd.dir().resolve("shim/config.toml").toString();
        return (json ? run("status", "--config", config, "--json") : run("status", "--config", config)).stdout();
    }

    /** Parses JSON output. */
    public static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    /** The first daemon's {@code recent_restores} from {@code status --json}. */
    public static JsonNode recentRestores(PrivateContainerd containerd) {
        return JSON.readTree(status(containerd, true)).get(0).get("recent_restores");
    }
}
