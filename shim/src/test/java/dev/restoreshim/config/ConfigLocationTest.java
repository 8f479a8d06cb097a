package dev.restoreshim.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.restoreshim.proto.runtimeoptions.Options;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLocationTest {
    @TempDir
    Path dir;

    @Test
    void resolve_handlerOptionsFirst() throws IOException {
        Path def = Files.writeString(dir.resolve("default.toml"), "");
        Options opts = Options.newBuilder().setConfigPath("/etc/a.toml").build();
        ConfigLocation l = ConfigLocation.resolve(opts, Map.of(ConfigLocation.ENV, "/etc/b.toml"), def);
        assertEquals(new ConfigLocation(Path.of("/etc/a.toml"), ConfigLocation.Via.HANDLER_OPTIONS), l);
    }

    @Test
    void resolve_environmentBeforeDefaultFile() throws IOException {
        Path def = Files.writeString(dir.resolve("default.toml"), "");
        ConfigLocation l = ConfigLocation.resolve(Options.getDefaultInstance(), Map.of(ConfigLocation.ENV, "/etc/b.toml"), def);
        assertEquals(new ConfigLocation(Path.of("/etc/b.toml"), ConfigLocation.Via.ENVIRONMENT), l);
    }

    @Test
    void resolve_defaultFileWhenPresent() throws IOException {
        Path def = Files.writeString(dir.resolve("default.toml"), "protocol = \"grpc\"");
        ConfigLocation l = ConfigLocation.resolve(null, Map.of(), def);
        assertEquals(ConfigLocation.Via.DEFAULT_FILE, l.via());
        assertEquals(Protocol.GRPC, l.load().protocol());
    }

    @Test
    void resolve_nothing_givesDefaults() {
        ConfigLocation l = ConfigLocation.resolve(null, Map.of(), dir.resolve("absent.toml"));
        assertEquals(ConfigLocation.Via.DEFAULTS, l.via());
        assertEquals(ShimConfig.defaults(), l.load());
    }

    @Test
    void load_explicitMissingFile_fails() {
        ConfigLocation l = ConfigLocation.resolve(null, Map.of(ConfigLocation.ENV, dir.resolve("x.toml").toString()), dir.resolve("absent"));
        assertThrows(ConfigException.class, l::load);
    }
}
