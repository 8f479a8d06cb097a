package dev.restoreshim.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DaemonLayoutTest {
    @Test
    void addressId_isSha256Prefix() {
        // printf %s /run/containerd/containerd.sock | sha256sum | cut -c1-16
        assertEquals("5b1f8c4ab9e6d3fc".length(), DaemonLayout.addressId("x").length());
        assertEquals("e3b0c44298fc1c14", DaemonLayout.addressId(""));
    }

    @Test
    void forContainerd_putsDaemonUnderD() {
        DaemonLayout l = DaemonLayout.forContainerd(Path.of("/run/rs"), "");
        assertEquals(Path.of("/run/rs/d/e3b0c44298fc1c14"), l.dir());
        assertEquals("unix:///run/rs/d/e3b0c44298fc1c14/ttrpc.sock", l.ttrpcAddress());
        assertEquals(Path.of("/run/rs/d/e3b0c44298fc1c14/tasks/k8s.io/abc.json"), l.taskStateFile("k8s.io", "abc"));
    }

    @Test
    void taskStateFile_rejectsPaths() {
        DaemonLayout l = new DaemonLayout(Path.of("/run/rs/d/x"));
        assertThrows(IllegalArgumentException.class, () -> l.taskStateFile("..", "a"));
        assertThrows(IllegalArgumentException.class, () -> l.taskStateFile("ns", "a/../../b"));
    }
}
