package dev.restoreshim.criu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuFeaturesTest {
    /** Answers from a table keyed by the joined arguments; records what ran. */
    record TableCommand(Map<String, CriuCommand.Result> answers, List<String> ran) implements CriuCommand {
        TableCommand(Map<String, CriuCommand.Result> answers) {
            this(answers, new ArrayList<>());
        }

        @Override
        public String binary() {
            return "/usr/sbin/criu";
        }

        @Override
        public Result run(List<String> args, Duration timeout) {
            ran.add(String.join(" ", args));
            return answers.getOrDefault(String.join(" ", args), new Result(1, "unknown"));
        }
    }

    @Test
    void detect_criu411_lazyPagesTlsNoEncryption(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("proc/sys/kernel"));
        Files.writeString(root.resolve("proc/sys/kernel/osrelease"), "6.18.44\n");
        Files.createDirectories(root.resolve("dev"));
        Files.writeString(root.resolve("dev/userfaultfd"), "");
        var cmd = new TableCommand(Map.of(
                "--version", new CriuCommand.Result(0, "Version: 4.1.1\n"),
                "check --feature uffd-noncoop", new CriuCommand.Result(0, "uffd-noncoop is supported\n"),
                "--help", new CriuCommand.Result(0, "  --tls-key FILE  ...\n  --tls-cert FILE\n")));
        CriuFeatures f = CriuFeatures.detect(cmd, root);
        assertEquals("4.1.1", f.version());
        assertTrue(f.lazyPages());
        assertTrue(f.tls());
        assertFalse(f.encryption());
        assertTrue(f.usable());
        assertEquals("6.18.44", f.kernel().get("release"));
        assertEquals("yes", f.asMap().get("kernel.userfaultfd"));
        assertEquals("no", f.asMap().get("criu.encryption"));
        assertEquals("v1", f.kernel().get("cgroup"));
    }

    @Test
    void detect_encryptionBuild(@TempDir Path root) {
        var cmd = new TableCommand(Map.of(
                "--version", new CriuCommand.Result(0, "Version: 4.2-dev\nGitID: v4.2-12-gabc\n"),
                "--help", new CriuCommand.Result(0, "  -e|--encrypt  encrypt images\n  --tls-key FILE\n")));
        CriuFeatures f = CriuFeatures.detect(cmd, root);
        assertTrue(f.encryption());
        assertFalse(f.lazyPages(), "check failed: no lazy pages");
    }

    @Test
    void detect_missingBinary_reportsProblem_probesNothingElse(@TempDir Path root) {
        var cmd = new TableCommand(Map.of("--version",
                new CriuCommand.Result(-1, "cannot run /usr/sbin/criu: No such file or directory")));
        CriuFeatures f = CriuFeatures.detect(cmd, root);
        assertFalse(f.usable());
        assertEquals(List.of("--version"), cmd.ran());
        assertTrue(f.problem().contains("No such file"), f.problem());
        assertEquals("unknown", f.asMap().get("criu.version"));
    }

    @Test
    void processCommand_realMissingBinary_exitMinusOne() {
        var r = new ProcessCriuCommand("/nonexistent/criu").run(List.of("--version"), Duration.ofSeconds(5));
        assertEquals(-1, r.exit());
    }

    @Test
    void encryption_refusedWithoutSupportOrKey_passesOtherwise() {
        CriuFeatures none = new CriuFeatures("criu", "4.1.1", true, false, true, Map.of(), "");
        CriuFeatures can = new CriuFeatures("criu", "4.2", true, true, true, Map.of(), "");
        CriuOptions noKey = CriuOptions.none();
        CriuOptions key = noKey.with(CriuOption.TLS_KEY, "/k/criu.key", CriuOptionSource.OPERATOR);
        CriuEncryption.check(false, "/a.tar", none, noKey);
        var unsupported = assertThrows(CriuException.class, () -> CriuEncryption.check(true, "/a.tar", none, key));
        assertEquals(CriuException.Reason.UNSUPPORTED, unsupported.reason());
        assertTrue(unsupported.getMessage().contains("cannot decrypt images"), unsupported.getMessage());
        var noKeyErr = assertThrows(CriuException.class, () -> CriuEncryption.check(true, "/a.tar", can, noKey));
        assertEquals(CriuException.Reason.KEY_UNAVAILABLE, noKeyErr.reason());
        assertTrue(noKeyErr.getMessage().contains("no decryption key is configured"), noKeyErr.getMessage());
        CriuEncryption.check(true, "/a.tar", can, key);
    }
}
