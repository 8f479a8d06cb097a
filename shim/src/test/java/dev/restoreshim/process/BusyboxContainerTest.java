package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.Runc;
import dev.restoreshim.runc.RuncSettings;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.LinuxFds;
import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.LinuxProcessControl;
import dev.restoreshim.sys.LinuxProcessLauncher;
import dev.restoreshim.sys.LinuxSignals;
import dev.restoreshim.sys.PidfdReaper;
import dev.restoreshim.sys.Signals;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A real busybox container through {@link Container} and runc (root, runc and busybox-static
 * required; they are on every machine of this project). The rootfs is a directory holding
 * {@code /bin/busybox}, bind-mounted by the container as its rootfs mount.
 */
class BusyboxContainerTest {
    private static final Path RUNC = Path.of("/usr/sbin/runc");
    private static final Path BUSYBOX = Path.of("/bin/busybox");

    private final Fds fds = new LinuxFds();
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private PidfdReaper reaper;
    private Path dir;
    private Path bundle;
    private ContainerDeps deps;
    private final String id = "rs-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;

    @BeforeAll
    static void subreaper() {
        assertTrue(Files.isExecutable(RUNC), "runc is required at " + RUNC + " (see deploy/ host setup)");
        assertTrue(Files.isExecutable(BUSYBOX), "busybox-static is required at " + BUSYBOX);
        new LinuxProcessControl().setChildSubreaper(true);
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("rs-bb");
        Path src = Files.createDirectories(dir.resolve("image/bin"));
        Files.copy(BUSYBOX, src.resolve("busybox"));
        for (String d : List.of("proc", "dev", "sys", "tmp")) {
            Files.createDirectories(dir.resolve("image").resolve(d));
        }
        bundle = Files.createDirectories(dir.resolve("bundle"));
        reaper = new PidfdReaper(fds);
        var launcher = new LinuxProcessLauncher(fds);
        Runc runc = new Runc(new RuncSettings(RUNC, dir.resolve("runc-root"), false), launcher, reaper, fds,
                dir.resolve("runc.log"));
        ExitListener listener = new ExitListener() {
            @Override
            public void started(String containerId, String execId, int pid) {
                events.add("start " + (execId.isEmpty() ? "init" : execId));
            }

            @Override
            public void exited(String containerId, String execId, int pid, ExitInfo exit) {
                events.add("exit " + (execId.isEmpty() ? "init" : execId) + " " + exit.exitStatus());
            }
        };
        deps = new ContainerDeps(runc, new LinuxMounts(), fds, reaper, new LinuxSignals(), listener, null);
    }

    @AfterEach
    void tearDown() throws Exception {
        new ProcessBuilder(RUNC.toString(), "--root", dir.resolve("runc-root").toString(), "delete", "--force", id)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        String rootfs = bundle.resolve("rootfs").toString();
        boolean leftMount = mountinfo().contains(" " + rootfs + " ");
        if (leftMount) {
            new LinuxMounts().unmount(rootfs, dev.restoreshim.sys.Mounts.MNT_DETACH);
        }
        reaper.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertFalse(leftMount, "rootfs mount left behind");
    }

    private void writeConfig(boolean terminal, String... args) throws Exception {
        Process p = new ProcessBuilder(RUNC.toString(), "spec", "--bundle", bundle.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
        JsonMapper json = JsonMapper.builder().build();
        ObjectNode config = (ObjectNode) json.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", terminal);
        var argv = process.putArray("args");
        for (String a : args) {
            argv.add(a);
        }
        json.writeValue(bundle.resolve("config.json").toFile(), config);
    }

    private Path fifo(String name) throws Exception {
        Path f = dir.resolve(name);
        assertEquals(0, new ProcessBuilder("mkfifo", f.toString()).inheritIO().start().waitFor());
        return f;
    }

    private CreateSpec spec(Stdio stdio) {
        MountSpec rootfs = new MountSpec("bind", dir.resolve("image").toString(), "", List.of("rbind", "ro"));
        return CreateSpec.of("default", id, bundle, List.of(rootfs), stdio);
    }

    @Test
    void runsToExit_writesIntoStdoutFifo_andLeavesNothingBehind() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            writeConfig(false, "/bin/busybox", "sh", "-c", "echo hello from busybox; echo oops >&2; exit 3");
            Path out = fifo("stdout");
            Path err = fifo("stderr");
            int outReader = fds.open(out.toString(), Fds.O_RDONLY | Fds.O_NONBLOCK, 0);
            int errReader = fds.open(err.toString(), Fds.O_RDONLY | Fds.O_NONBLOCK, 0);
            try {
                Container c = Container.create(spec(new Stdio("", out.toString(), err.toString(), false)), deps);
                assertEquals(ProcessStatus.CREATED, c.state("").status());
                assertTrue(c.pid() > 0);
                assertTrue(mountinfo().contains(" " + bundle.resolve("rootfs") + " "), "rootfs mounted");
                c.start("");
                ExitInfo exit = c.waitFor("").get(30, TimeUnit.SECONDS);
                assertEquals(3, exit.exitStatus());
                assertEquals(ProcessStatus.STOPPED, c.state("").status());
                assertEquals(List.of("start init", "exit init 3"), events);
                assertEquals(3, c.delete("").exitStatus());
                assertEquals("hello from busybox\n", drain(outReader));
                assertEquals("oops\n", drain(errReader));
                assertFalse(mountinfo().contains(" " + bundle.resolve("rootfs") + " "), "rootfs unmounted");
                assertFalse(Files.exists(dir.resolve("runc-root").resolve(id)), "runc state removed");
            } finally {
                fds.close(outReader);
                fds.close(errReader);
            }
        });
    }

    @Test
    void longRunning_execPauseResumeKill() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            writeConfig(false, "/bin/busybox", "sleep", "300");
            Container c = Container.create(spec(Stdio.none()), deps);
            int initPid = c.start("");
            assertEquals(ProcessStatus.RUNNING, c.state("").status());
            String processJson = """
                    {"args":["/bin/busybox","sh","-c","exit 5"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}""";
            c.exec(new ExecSpec("e1", null, processJson.getBytes(StandardCharsets.UTF_8)));
            c.start("e1");
            assertEquals(5, c.waitFor("e1").get(30, TimeUnit.SECONDS).exitStatus());
            c.delete("e1");
            assertTrue(c.pids().stream().anyMatch(p -> p.pid() == initPid), c.pids().toString());
            c.pause();
            assertEquals(ProcessStatus.PAUSED, c.state("").status());
            c.resume();
            ShimException busy = assertThrows(ShimException.class, () -> c.delete(""));
            assertEquals(ErrorKind.FAILED_PRECONDITION, busy.kind());
            c.kill("", Signals.SIGKILL, false);
            assertEquals(137, c.waitFor("").get(30, TimeUnit.SECONDS).exitStatus());
            ShimException gone = assertThrows(ShimException.class, () -> c.kill("", Signals.SIGKILL, false));
            assertEquals(ErrorKind.NOT_FOUND, gone.kind(), gone.getMessage());
            c.delete("");
            assertEquals(List.of("start init", "start e1", "exit e1 5", "exit init 137"), events);
        });
    }

    @Test
    void terminal_ptyOutputReachesStdoutFifo() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            writeConfig(true, "/bin/busybox", "sh", "-c", "/bin/busybox tty; exit 0");
            Path out = fifo("stdout");
            int outReader = fds.open(out.toString(), Fds.O_RDONLY | Fds.O_NONBLOCK, 0);
            try {
                Container c = Container.create(spec(new Stdio("", out.toString(), "", true)), deps);
                c.resizePty("", 100, 40);
                c.start("");
                assertEquals(0, c.waitFor("").get(30, TimeUnit.SECONDS).exitStatus());
                c.delete("");
                String text = drain(outReader);
                assertTrue(text.contains("/dev/pts/"), "tty output: " + text);
            } finally {
                fds.close(outReader);
            }
        });
    }

    private String drain(int fd) {
        var bytes = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = fds.read(fd, buf, 0, buf.length)) > 0) {
            bytes.write(buf, 0, n);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String mountinfo() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo"));
    }
}
