package dev.restoreshim.criu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriuConfigFileTest {
    @Test
    void configLines_flagsBare_falseOmitted_valuesWithEquals_inDeclarationOrder() {
        CriuOptions o = CriuOptions.none()
                .with(CriuOption.TLS_KEY, "/keys/k.pem", CriuOptionSource.OPERATOR)
                .with(CriuOption.MANAGE_CGROUPS_MODE, "ignore", CriuOptionSource.ANNOTATION)
                .with(CriuOption.EXT_UNIX_SK, "false", CriuOptionSource.OPERATOR)
                .with(CriuOption.FILE_LOCKS, "true", CriuOptionSource.ANNOTATION)
                .with(CriuOption.TCP_ESTABLISHED, "true", CriuOptionSource.ANNOTATION);
        assertEquals(List.of("tcp-established", "file-locks", "manage-cgroups=ignore", "tls-key=/keys/k.pem"),
                o.configLines());
    }

    @Test
    void logField_showsFileOptionsOnlyAsSet() {
        CriuOptions o = CriuOptions.none().with(CriuOption.TLS_KEY, "/keys/k.pem", CriuOptionSource.OPERATOR)
                .with(CriuOption.FILE_LOCKS, "true", CriuOptionSource.ANNOTATION);
        assertEquals("criu_options=\"file-locks,tls-key=(set)\"", o.logField());
        assertFalse(o.logField().contains("/keys"));
    }

    @Test
    void write_mode0600_commentThenOptions(@TempDir Path dir) throws Exception {
        CriuPolicy p = CriuPolicy.of(Map.of("file-locks", "true"), List.of("tcp-established"), List.of());
        CriuOptions o = p.merge(Map.of("restore-shim.dev/criu-tcp-established", "true"), Map.of());
        Path f = CriuConfigFile.write(dir, o, "ns=k8s.io id=c1");
        assertEquals(dir.resolve(CriuConfigFile.NAME), f);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        List<String> lines = Files.readAllLines(f);
        assertTrue(lines.getFirst().startsWith("# CRIU restore options written by restore-shim for ns=k8s.io id=c1"),
                lines.getFirst());
        assertEquals(List.of("tcp-established", "file-locks"), lines.subList(1, lines.size()));
        CriuConfigFile.write(dir, CriuOptions.none(), "again");
        assertEquals(1, Files.readAllLines(f).size(), "a second write replaces the file");
    }
}
