package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.sys.Mounts;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {
    @Test
    void overlayOptions_goToData() {
        MountOptions o = MountOptions.parse(List.of("index=off", "lowerdir=/a:/b", "upperdir=/u", "workdir=/w"));
        assertEquals(0, o.flags());
        assertEquals("index=off,lowerdir=/a:/b,upperdir=/u,workdir=/w", o.data());
    }

    @Test
    void readOnlyRbind_needsRemount() {
        MountOptions o = MountOptions.parse(List.of("rbind", "ro", "nosuid"));
        assertEquals(Mounts.MS_BIND | Mounts.MS_REC | Mounts.MS_RDONLY | Mounts.MS_NOSUID, o.flags());
        assertTrue(o.remountReadOnly());
        assertEquals("", o.data());
    }

    @Test
    void rwClearsRo_andPropagationIsSeparate() {
        MountOptions o = MountOptions.parse(List.of("ro", "rw", "rprivate"));
        assertEquals(0, o.flags());
        assertEquals(Mounts.MS_PRIVATE | Mounts.MS_REC, o.propagation());
        assertFalse(o.remountReadOnly());
    }
}
