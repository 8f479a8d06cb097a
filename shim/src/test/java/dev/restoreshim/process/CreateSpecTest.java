package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CreateSpecTest {
    private static final Path B = Path.of("/run/b");

    private static ShimException invalid(Runnable r) {
        ShimException e = assertThrows(ShimException.class, r::run);
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        return e;
    }

    @Test
    void valid_normalisesNulls() {
        CreateSpec s = new CreateSpec("k8s.io", "c1", B, null, null, null, null);
        assertEquals(List.of(), s.rootfs());
        assertEquals(Stdio.none(), s.stdio());
        assertEquals("", s.checkpoint());
    }

    @Test
    void emptyId_namesTheField() {
        assertTrue(invalid(() -> CreateSpec.of("default", "", B, List.of(), null)).getMessage().contains("id"));
    }

    @Test
    void idWithSlash_isRejected() {
        assertTrue(invalid(() -> CreateSpec.of("default", "../x", B, List.of(), null)).getMessage().contains("id"));
    }

    @Test
    void badNamespace_namesTheField() {
        assertTrue(invalid(() -> CreateSpec.of("a/b", "c", B, List.of(), null)).getMessage().contains("namespace"));
    }

    @Test
    void relativeBundle_isRejected() {
        assertTrue(invalid(() -> CreateSpec.of("default", "c", Path.of("rel"), List.of(), null)).getMessage().contains("bundle"));
    }

    @Test
    void relativeCheckpoint_isRejected() {
        assertTrue(invalid(() -> new CreateSpec("default", "c", B, List.of(), null, "img", ""))
                .getMessage().contains("checkpoint"));
    }

    @Test
    void mountWithoutType_isRejected() {
        invalid(() -> new MountSpec("", "/src", "", List.of("ro")));
        new MountSpec("", "/src", "", List.of("rbind"));
    }

    @Test
    void mountTargetEscaping_isRejected() {
        invalid(() -> new MountSpec("bind", "/src", "../../etc", List.of("bind")));
    }

    @Test
    void execSpec_requiresIdAndProcess() {
        invalid(() -> new ExecSpec("", null, "{}".getBytes()));
        invalid(() -> new ExecSpec("e1", null, new byte[0]));
    }
}
