package dev.restoreshim.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuncArgsTest {
    private static final Path B = Path.of("/b");

    @Test
    void create_rendersBundlePidFileAndFlags() {
        assertEquals(List.of("--bundle", "/b", "--pid-file", "/b/init.pid"),
                new CreateOptions(B, B.resolve("init.pid"), null, false, false).args());
        assertEquals(List.of("--bundle", "/b", "--pid-file", "/b/p", "--console-socket", "/s", "--no-pivot", "--no-new-keyring"),
                new CreateOptions(B, B.resolve("p"), Path.of("/s"), true, true).args());
    }

    @Test
    void exec_isAlwaysDetached() {
        assertEquals(List.of("--process", "/b/e.json", "--detach", "--pid-file", "/b/e.pid"),
                new ExecOptions(B.resolve("e.json"), B.resolve("e.pid"), null).args());
    }

    @Test
    void restore_rendersLikeTheRuncShim() {
        RestoreOptions o = RestoreOptions.of(Path.of("/img"), Path.of("/work"), B, B.resolve("init.pid"), null);
        assertEquals(List.of("--image-path", "/img", "--work-path", "/work", "--detach", "--pid-file", "/b/init.pid",
                "--no-subreaper", "--bundle", "/b"), o.args());
        assertEquals(List.of("--image-path", "/img", "--work-path", "/work", "--detach", "--pid-file", "/b/init.pid",
                "--no-subreaper", "--lazy-pages", "--bundle", "/b"), o.withLazyPages(true).args());
    }

    @Test
    void checkpoint_rendersAllFlags() {
        var o = new CheckpointOptions(Path.of("/img"), Path.of("/w"), Path.of("/p"), true, true, true, true, true,
                false, false, "soft", List.of("network"));
        assertEquals(List.of("--image-path", "/img", "--work-path", "/w", "--parent-path", "/p", "--leave-running",
                "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks", "--manage-cgroups-mode", "soft",
                "--empty-ns", "network"), o.args());
    }

    @Test
    void globalArgs_alwaysLogJson() {
        var s = RuncSettings.forNamespace(Path.of("runc"), Path.of("/run/containerd/runc"), "k8s.io", true);
        assertEquals(List.of("runc", "--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json", "--log-format",
                "json", "--systemd-cgroup"), s.globalArgs(Path.of("/b/log.json")));
    }

    @Test
    void namespace_mustBeADirectoryName() {
        assertThrows(IllegalArgumentException.class,
                () -> RuncSettings.forNamespace(Path.of("runc"), Path.of("/r"), "../x", false));
    }

    @Test
    void state_parsesRuncJson() {
        RuncState s = RuncState.parse("""
                {"ociVersion":"1.2.0","id":"c1","pid":4242,"status":"running","bundle":"/b","rootfs":"/b/rootfs",
                 "created":"2026-01-01T00:00:00Z","owner":"","annotations":{"a":"b"}}""");
        assertEquals(new RuncState("c1", 4242, "running", "/b", "/b/rootfs", java.util.Map.of("a", "b")), s);
    }
}
