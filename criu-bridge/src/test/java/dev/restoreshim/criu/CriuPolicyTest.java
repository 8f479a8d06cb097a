package dev.restoreshim.criu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuPolicyTest {
    private static final Path KEYS = Path.of("/etc/restore-shim/keys");

    private static CriuPolicy policy() {
        return CriuPolicy.of(Map.of("manage-cgroups-mode", "soft", "tcp-established", "false",
                "tls-key", "/etc/restore-shim/keys/criu.key"), List.of("tcp-established", "file-locks",
                "manage-cgroups-mode", "tls-cacert"), List.of(KEYS));
    }

    @Test
    void merge_laterAllowedSourcesWin_inOrderOperatorAnnotationImage() {
        CriuOptions o = policy().merge(
                Map.of("restore-shim.dev/criu-tcp-established", "true", "restore-shim.dev/criu-file-locks", "TRUE",
                        "restore-shim.dev/criu-manage-cgroups-mode", "ignore", "restore-shim.dev/checkpoint", "/x.tar",
                        "other", "x"),
                Map.of("manage-cgroups-mode", "full"));
        assertEquals("true", o.values().get(CriuOption.TCP_ESTABLISHED));
        assertEquals(CriuOptionSource.ANNOTATION, o.sources().get(CriuOption.TCP_ESTABLISHED));
        assertEquals("true", o.values().get(CriuOption.FILE_LOCKS));
        assertEquals("full", o.values().get(CriuOption.MANAGE_CGROUPS_MODE));
        assertEquals(CriuOptionSource.IMAGE, o.sources().get(CriuOption.MANAGE_CGROUPS_MODE));
        assertEquals(CriuOptionSource.OPERATOR, o.sources().get(CriuOption.TLS_KEY));
    }

    @Test
    void merge_withoutSources_isTheDefaults() {
        assertEquals(policy().defaults(), policy().merge(Map.of(), Map.of()));
    }

    @Test
    void merge_notAllowListed_refusedNamingAnnotationAndAllowList() {
        var e = assertThrows(CriuException.class,
                () -> policy().merge(Map.of("restore-shim.dev/criu-ext-unix-sk", "true"), Map.of()));
        assertEquals(CriuException.Reason.INVALID_OPTION, e.reason());
        assertTrue(e.getMessage().contains("annotation \"restore-shim.dev/criu-ext-unix-sk\""), e.getMessage());
        assertTrue(e.getMessage().contains("allowed: tcp-established, file-locks, manage-cgroups-mode, tls-cacert"),
                e.getMessage());
    }

    @Test
    void merge_unknownOption_refusedListingKnownOnes() {
        var e = assertThrows(CriuException.class,
                () -> policy().merge(Map.of("restore-shim.dev/criu-leave-running", "true"), Map.of()));
        assertTrue(e.getMessage().contains("unknown CRIU option \"leave-running\""), e.getMessage());
        assertTrue(e.getMessage().contains("known: tcp-established"), e.getMessage());
    }

    @Test
    void merge_keyFileInAnnotation_refusedEvenUnderKeyDir() {
        var e = assertThrows(CriuException.class,
                () -> policy().merge(Map.of("restore-shim.dev/criu-tls-key", "/etc/restore-shim/keys/other.key"), Map.of()));
        assertTrue(e.getMessage().contains("tls-key is a key file and is only taken from the operator"), e.getMessage());
    }

    @Test
    void merge_keyFileInImageMetadata_refused() {
        var e = assertThrows(CriuException.class, () -> policy().merge(Map.of(), Map.of("tls-key", "/k")));
        assertTrue(e.getMessage().startsWith("restore image metadata \"tls-key\""), e.getMessage());
    }

    @Test
    void merge_badValues_refusedNamingRule() {
        var flag = assertThrows(CriuException.class,
                () -> policy().merge(Map.of("restore-shim.dev/criu-file-locks", "yes"), Map.of()));
        assertTrue(flag.getMessage().contains("must be true or false, got \"yes\""), flag.getMessage());
        var choice = assertThrows(CriuException.class,
                () -> policy().merge(Map.of("restore-shim.dev/criu-manage-cgroups-mode", "props"), Map.of()));
        assertTrue(choice.getMessage().contains("must be one of soft, full, strict, ignore"), choice.getMessage());
    }

    @Test
    void merge_fileOutsideKeyDirs_refused_andInjectionRefused() {
        var outside = assertThrows(CriuException.class,
                () -> policy().merge(Map.of("restore-shim.dev/criu-tls-cacert", "/etc/restore-shim/keys/../../passwd"),
                        Map.of()));
        assertTrue(outside.getMessage().contains("is not under a key directory"), outside.getMessage());
        var injected = assertThrows(CriuException.class,
                () -> policy().merge(Map.of("restore-shim.dev/criu-tls-cacert", "/etc/restore-shim/keys/ca.pem\nimages-dir /"),
                        Map.of()));
        assertTrue(injected.getMessage().contains("without spaces"), injected.getMessage());
    }

    @Test
    void of_allowListingAKeyFile_refused() {
        var e = assertThrows(CriuException.class, () -> CriuPolicy.of(Map.of(), List.of("tls-key"), List.of(KEYS)));
        assertTrue(e.getMessage().contains("config [criu] allow: tls-key is a key file"), e.getMessage());
    }

    @Test
    void of_defaultKeyOutsideKeyDirs_refused() {
        var e = assertThrows(CriuException.class,
                () -> CriuPolicy.of(Map.of("tls-key", "/root/criu.key"), List.of(), List.of(KEYS)));
        assertTrue(e.getMessage().contains("config [criu.defaults] tls-key"), e.getMessage());
    }

    @Test
    void of_unknownDefault_refused() {
        var e = assertThrows(CriuException.class, () -> CriuPolicy.of(Map.of("tcp", "true"), List.of(), List.of()));
        assertTrue(e.getMessage().startsWith("config [criu.defaults] tcp: unknown CRIU option"), e.getMessage());
    }

    @Test
    void checkFiles_missingUnreadableOrEscaping_keyUnavailable(@TempDir Path tmp) throws Exception {
        Path keys = Files.createDirectories(tmp.resolve("keys"));
        Path key = Files.writeString(keys.resolve("criu.key"), "secret");
        CriuPolicy ok = CriuPolicy.of(Map.of("tls-key", key.toString()), List.of(), List.of(keys));
        ok.checkFiles(ok.defaults());

        CriuPolicy missing = CriuPolicy.of(Map.of("tls-key", keys.resolve("gone.key").toString()), List.of(), List.of(keys));
        var e = assertThrows(CriuException.class, () -> missing.checkFiles(missing.defaults()));
        assertEquals(CriuException.Reason.KEY_UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("no such regular file"), e.getMessage());

        Path outside = Files.writeString(tmp.resolve("outside.key"), "x");
        Files.createSymbolicLink(keys.resolve("link.key"), outside);
        CriuPolicy escaping = CriuPolicy.of(Map.of("tls-key", keys.resolve("link.key").toString()), List.of(), List.of(keys));
        var esc = assertThrows(CriuException.class, () -> escaping.checkFiles(escaping.defaults()));
        assertTrue(esc.getMessage().contains("outside the key directories"), esc.getMessage());
        assertTrue(!esc.getMessage().contains("secret"));
    }
}
