package dev.restoreshim.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {
    private static ConfigException bad(String toml) {
        return assertThrows(ConfigException.class, () -> ConfigFile.parse(toml, "/etc/x.toml"));
    }

    @Test
    void parse_emptyText_givesDefaults() {
        ShimConfig c = ConfigFile.parse("", "/etc/x.toml");
        ShimConfig d = ShimConfig.defaults();
        assertEquals(Path.of("/run/restore-shim"), c.stateDir());
        assertEquals(Path.of("/run/restore-shim/runc"), c.runtimeRoot());
        assertEquals("runc", c.runtime());
        assertEquals("criu", c.criu());
        assertEquals(Protocol.TTRPC, c.protocol());
        assertEquals(LogLevel.INFO, c.logLevel());
        assertEquals(d.java(), c.java());
        assertEquals(List.of(), c.javaOptions());
        assertEquals(RestoreSettings.defaults(), c.restore());
        assertEquals("/etc/x.toml", c.origin());
    }

    @Test
    void parse_everyKey_isRead() {
        ShimConfig c = ConfigFile.parse("""
                state_dir = "/run/rs"
                runtime = "/usr/bin/crun"
                criu = '/opt/criu/sbin/criu'
                protocol = "grpc"
                log_level = "DEBUG"  # case does not matter
                java = "/opt/jdk/bin/java"
                java_options = " -Xmx256m   -XX:+UseSerialGC "

                [restore]
                cache_dir = "/var/cache/rs"
                tmpfs_size_limit = "512M"
                """, "f");
        assertEquals(Path.of("/run/rs"), c.stateDir());
        assertEquals(Path.of("/run/rs/runc"), c.runtimeRoot(), "runtime_root follows state_dir");
        assertEquals("/usr/bin/crun", c.runtime());
        assertEquals("/opt/criu/sbin/criu", c.criu());
        assertEquals(Protocol.GRPC, c.protocol());
        assertEquals(LogLevel.DEBUG, c.logLevel());
        assertEquals("/opt/jdk/bin/java", c.java());
        assertEquals(List.of("-Xmx256m", "-XX:+UseSerialGC"), c.javaOptions());
        assertEquals(new RestoreSettings(Path.of("/var/cache/rs"), 512L << 20), c.restore());
    }

    @Test
    void parse_keysTheLauncherReads_refuseWhatItsShellReaderWouldGetWrong() {
        for (String line : new String[] {"runtime = \"/usr/bin/ru'nc\"", "runtime_root = '/run/a#b'",
                "java = \"/opt/j\\\\dk/java\"", "state_dir = '/run/\"x'"}) {
            ConfigException e = bad(line);
            assertTrue(e.getMessage().contains("must not contain quotes, backslashes, '#' or newlines"), line + ": " + e.getMessage());
        }
    }

    @Test
    void parse_restoreImagesAndReadahead() {
        RestoreSettings r = ConfigFile.parse("[restore]\nimages = \"tmpfs\"\nreadahead = false", "f").restore();
        assertEquals(RestoreSettings.Images.TMPFS, r.images());
        assertEquals(false, r.readahead());
        assertEquals(RestoreSettings.Images.AUTO, ConfigFile.parse("", "f").restore().images());
        assertEquals(false, ConfigFile.parse("", "f").restore().readahead(), "readahead is opt-in");
        assertEquals(true, ConfigFile.parse("[restore]\nreadahead = true", "f").restore().readahead());
        ConfigException e = bad("[restore]\nimages = \"squashfs\"");
        assertTrue(e.getMessage().contains("restore.images"), e.getMessage());
        assertTrue(e.getMessage().contains("must be one of \"auto\", \"tmpfs\", \"erofs\", got \"squashfs\""), e.getMessage());
        assertTrue(bad("[restore]\nreadahead = \"yes\"").getMessage().contains("restore.readahead"));
    }

    @Test
    void parse_restoreDelta() {
        assertEquals(RestoreSettings.Delta.AUTO, ConfigFile.parse("", "f").restore().delta());
        assertEquals(RestoreSettings.Delta.DIRECTORY,
                ConfigFile.parse("[restore]\ndelta = \"directory\"", "f").restore().delta());
        assertEquals(RestoreSettings.Delta.EROFS, ConfigFile.parse("[restore]\ndelta = \"erofs\"", "f").restore().delta());
        ConfigException e = bad("[restore]\ndelta = \"tar\"");
        assertTrue(e.getMessage().contains("restore.delta"), e.getMessage());
        assertTrue(e.getMessage().contains("must be one of \"auto\", \"directory\", \"erofs\", got \"tar\""),
                e.getMessage());
    }

    @Test
    void parse_criuTable_policyAndBinary() {
        ShimConfig c = ConfigFile.parse("""
                [criu]
                binary = "/opt/criu/sbin/criu"
                allow = ["tcp-established", "file-locks"]
                key_dirs = ["/etc/restore-shim/keys"]

                [criu.defaults]
                manage-cgroups-mode = "soft"
                ext-unix-sk = true
                tls-key = "/etc/restore-shim/keys/criu.key"
                """, "f");
        assertEquals("/opt/criu/sbin/criu", c.criu());
        var p = c.criuPolicy();
        assertEquals(java.util.Set.of(dev.restoreshim.criu.CriuOption.TCP_ESTABLISHED,
                dev.restoreshim.criu.CriuOption.FILE_LOCKS), p.allowed());
        assertEquals(List.of(Path.of("/etc/restore-shim/keys")), p.keyDirs());
        assertEquals(List.of("ext-unix-sk", "manage-cgroups=soft", "tls-key=/etc/restore-shim/keys/criu.key"),
                p.defaults().configLines());
    }

    @Test
    void parse_criuTable_badPolicy_namesKeyAndReason() {
        var allowKey = assertThrows(ConfigException.class,
                () -> ConfigFile.parse("[criu]\nallow = [\"tls-key\"]\n", "f"));
        assertTrue(allowKey.getMessage().contains("tls-key is a key file"), allowKey.getMessage());
        var unknown = assertThrows(ConfigException.class, () -> ConfigFile.parse("[criu]\nallowed = []\n", "f"));
        assertTrue(unknown.getMessage().contains("criu.allowed"), unknown.getMessage());
        var number = assertThrows(ConfigException.class,
                () -> ConfigFile.parse("[criu.defaults]\ntcp-established = 1\n", "f"));
        assertTrue(number.getMessage().contains("criu.defaults.tcp-established"), number.getMessage());
    }

    @Test
    void parse_noCriuTable_closedPolicy() {
        assertEquals(dev.restoreshim.criu.CriuPolicy.closed(), ConfigFile.parse("criu = \"criu\"", "f").criuPolicy());
    }

    @Test
    void parse_kdatCache_onByDefault_offWhenFalse_elseNamesKey() {
        assertTrue(ConfigFile.parse("", "f").criuKdatCache());
        assertTrue(ConfigFile.parse("[criu]\nallow = []\n", "f").criuKdatCache());
        assertFalse(ConfigFile.parse("[criu]\nkdat_cache = false\n", "f").criuKdatCache());
        ConfigException e = bad("[criu]\nkdat_cache = \"no\"\n");
        assertTrue(e.getMessage().contains("criu.kdat_cache") && e.getMessage().contains("must be true or false"),
                e.getMessage());
    }

    @Test
    void parse_explicitRuntimeRoot_wins() {
        assertEquals(Path.of("/run/runc-x"), ConfigFile.parse("runtime_root = \"/run/runc-x\"", "f").runtimeRoot());
    }

    @Test
    void parse_sizeAsNumberOrUnits() {
        assertEquals(1L << 30, ConfigFile.parse("[restore]\ntmpfs_size_limit = 1073741824", "f").restore().tmpfsSizeLimitBytes());
        assertEquals(2L << 30, ConfigFile.parse("[restore]\ntmpfs_size_limit = \"2Gi\"", "f").restore().tmpfsSizeLimitBytes());
        assertEquals(4096L << 10, ConfigFile.parse("[restore]\ntmpfs_size_limit = \"4096k\"", "f").restore().tmpfsSizeLimitBytes());
    }

    @Test
    void parse_badProtocol_namesFileKeyAndValue() {
        ConfigException e = bad("protocol = \"http\"");
        assertEquals("protocol", e.key());
        assertEquals("config /etc/x.toml: key \"protocol\": must be \"ttrpc\" or \"grpc\", got \"http\"", e.getMessage());
    }

    @Test
    void parse_unknownKey_isRejected() {
        ConfigException e = bad("stat_dir = \"/run/x\"");
        assertEquals("stat_dir", e.key());
        assertTrue(e.getMessage().contains("unknown key"), e.getMessage());
        assertEquals("restore.cache", bad("[restore]\ncache = \"/x\"").key());
    }

    @Test
    void parse_relativeStateDir_isRejected() {
        ConfigException e = bad("state_dir = \"run/x\"");
        assertEquals("state_dir", e.key());
        assertTrue(e.getMessage().contains("absolute"), e.getMessage());
    }

    @Test
    void parse_stateDirTooLongForSockets_isRejected() {
        ConfigException e = bad("state_dir = \"/" + "x".repeat(ShimConfig.MAX_STATE_DIR_LENGTH) + "\"");
        assertTrue(e.getMessage().contains("108 bytes"), e.getMessage());
        ConfigFile.parse("state_dir = \"/" + "x".repeat(ShimConfig.MAX_STATE_DIR_LENGTH - 1) + "\"", "f");
    }

    @Test
    void parse_valuesTheLauncherCannotRead_areRejected() {
        assertEquals("state_dir", bad("state_dir = \"/run/a#b\"").key());
        assertEquals("java", bad("java = \"/opt/j\\\\k/java\"").key());
        assertEquals("java_options", bad("java_options = \"-Dx='y'\"").key());
    }

    @Test
    void parse_wrongTypes_areRejected() {
        assertTrue(bad("protocol = 3").getMessage().contains("must be a string"));
        assertEquals("java_options", bad("java_options = [\"-Xmx1g\"]").key());
        assertEquals("restore", bad("restore = 1").key());
        assertEquals("restore.tmpfs_size_limit", bad("[restore]\ntmpfs_size_limit = true").key());
    }

    @Test
    void parse_badSizes_areRejected() {
        assertEquals("restore.tmpfs_size_limit", bad("[restore]\ntmpfs_size_limit = \"lots\"").key());
        assertTrue(bad("[restore]\ntmpfs_size_limit = \"512K\"").getMessage().contains("at least 1M"));
        assertEquals("restore.tmpfs_size_limit", bad("[restore]\ntmpfs_size_limit = \"99999999999T\"").key());
        assertEquals("restore.cache_dir", bad("[restore]\ncache_dir = \"cache\"").key());
    }

    @Test
    void parse_badLogLevel_isRejected() {
        assertEquals("log_level", bad("log_level = \"verbose\"").key());
    }

    @Test
    void parse_invalidToml_namesFile() {
        ConfigException e = bad("state_dir = ");
        assertTrue(e.getMessage().startsWith("config /etc/x.toml: not valid TOML"), e.getMessage());
    }

    @Test
    void read_missingFile_namesIt(@TempDir Path dir) {
        Path f = dir.resolve("none.toml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.read(f));
        assertEquals("config " + f + ": file does not exist", e.getMessage());
    }

    @Test
    void read_file_usesPathAsOrigin(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("c.toml"), "protocol = \"grpc\"\n");
        assertEquals(f.toString(), ConfigFile.read(f).origin());
    }
}
