package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private static final String MOUNTINFO = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            501 22 0:52 / /run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs rw shared:300 - overlay overlay rw,lowerdir=/a
            502 22 0:53 / /tmp/with\\040space/rootfs rw - tmpfs tmpfs rw
            """;

    @Test
    void isMountPoint_exactMatchOnly() {
        MountTable t = MountTable.parse(MOUNTINFO);
        assertTrue(t.isMountPoint(Path.of("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs")));
        assertTrue(t.isMountPoint(Path.of("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/./rootfs")));
        assertFalse(t.isMountPoint(Path.of("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc")));
    }

    @Test
    void isMountPoint_undoesOctalEscapes() {
        assertTrue(MountTable.parse(MOUNTINFO).isMountPoint(Path.of("/tmp/with space/rootfs")));
    }

    @Test
    void read_ownMountTable_hasRoot() throws IOException {
        assertTrue(MountTable.read(MountTable.SELF).isMountPoint(Path.of("/")));
    }
}
