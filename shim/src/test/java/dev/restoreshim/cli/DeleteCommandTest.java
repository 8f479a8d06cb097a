package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.restoreshim.config.ConfigException;
import dev.restoreshim.proto.task.DeleteResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeleteCommandTest {
    @TempDir
    Path tmp;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<String> seen = new ArrayList<>();

    private DeleteCommand command(Map<String, String> env) {
        return new DeleteCommand(new PrintStream(out), new PrintStream(err), env, tmp.resolve("absent.toml"),
                (config, address) -> {
                    seen.add(config.daemonFor(address).dir().toString());
                    seen.add(config.runtime());
                    return new DeadTaskCleanup(config, config.daemonFor(address), argv -> new CommandResult(0, ""),
                            () -> MountTable.parse(""), p -> { }, Clock.systemUTC(), w -> { });
                });
    }

    @Test
    void run_printsOnlyDeleteResponse() throws IOException {
        Path bundle = Files.createDirectories(tmp.resolve("b"));
        Files.writeString(bundle.resolve("init.pid"), "77");
        int code = command(Map.of()).run(List.of("-namespace", "default", "-address", "/run/containerd/containerd.sock",
                "-publish-binary", "/usr/bin/containerd", "-id", "c1", "-bundle", bundle.toString(), "-debug"));
        assertEquals(0, code);
        DeleteResponse r = DeleteResponse.parseFrom(out.toByteArray());
        assertEquals(77, r.getPid());
        assertEquals(137, r.getExitStatus());
        assertEquals("", err.toString());
    }

    @Test
    void run_usesConfigFromEnvironmentAndAddressHash() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("c.toml"), "state_dir = \"/run/rs\"\nruntime = \"crun\"\n");
        command(Map.of("RESTORE_SHIM_CONFIG", cfg.toString(), "NAMESPACE", "ns"))
                .run(List.of("-id", "c1", "-bundle", tmp.toString(), "-address", ""));
        assertEquals(List.of("/run/rs/d/e3b0c44298fc1c14", "crun"), seen);
    }

    @Test
    void run_missingNamespace_isUsageError() {
        assertThrows(UsageException.class, () -> command(Map.of()).run(List.of("-id", "c1")));
        assertEquals(0, out.size());
    }

    @Test
    void run_badConfig_failsBeforeOutput() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("c.toml"), "protocol = \"x\"");
        assertThrows(ConfigException.class, () -> command(Map.of())
                .run(List.of("-namespace", "n", "-id", "c1", "--config", cfg.toString())));
        assertEquals(0, out.size());
    }
}
