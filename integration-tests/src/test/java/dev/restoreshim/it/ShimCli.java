package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The installed restore-shim command line ({@code <prefix>/bin/restore-shim} from
 * {@link ShimInstall}: the wrapper install.sh writes, which runs inspect and status on the CLI's
 * jlink runtime with its AOT cache), against one instance's shim config.
 */
public final class ShimCli {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ShimCli() {
    }

    /** {@code restore-shim ARGS...}, checked for exit status 0. */
    public static HostCommand.Result run(String... args) {
        Path cli = ShimInstall.prefix().resolve("bin/restore-shim");
        assertTrue(Files.isExecutable(cli), "no installed CLI at " + cli);
        java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of(cli.toString()));
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
