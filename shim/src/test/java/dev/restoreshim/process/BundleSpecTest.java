package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleSpecTest {
    @TempDir
    Path bundle;

    private boolean shares(String json) throws Exception {
        Files.writeString(bundle.resolve("config.json"), json);
        return BundleSpec.sharesPidNamespace(bundle);
    }

    @Test
    void ownPidNamespace_isNotShared() throws Exception {
        assertFalse(shares("{\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"}]}}"));
    }

    @Test
    void joinedPidNamespace_isShared() throws Exception {
        assertTrue(shares("{\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"path\":\"/proc/1/ns/pid\"}]}}"));
    }

    @Test
    void noPidNamespace_orBrokenSpec_isShared() throws Exception {
        assertTrue(shares("{\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}"));
        assertTrue(shares("not json"));
    }
}
