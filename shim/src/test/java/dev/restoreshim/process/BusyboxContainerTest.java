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
        deps = depsWith(reaper);
        fdsBefore = containerFds();
    }

    private ContainerDeps depsWith(PidfdReaper r) {
        Runc runc = new Runc(new RuncSettings(RUNC, dir.resolve("runc-root"), false), new LinuxProcessLauncher(fds), r,
                fds, dir.resolve("runc.log"));
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
        return new ContainerDeps(runc, new LinuxMounts(), fds, r, new LinuxSignals(), listener, null);
    }

    private List<String> fdsBefore;

    /** Our fds of the kinds a container's lifetime opens: pipes, fifos, ptys, sockets, pidfds. */
    private List<String> containerFds() throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : list.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("pipe:") || target.contains("ptmx") || target.contains("/dev/pts")
                            || target.startsWith("socket:") || target.contains("pidfd") || target.startsWith(dir.toString())) {
                        out.add(target);
                    }
                } catch (java.io.IOException vanished) {
                    // the directory stream's own fd
                }
            }
        }
        Collections.sort(out);
        return out;
    }

    @AfterEach
    void tearDown() throws Exception {
        List<String> fdsAfter = containerFds();
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
        assertEquals(fdsBefore, fdsAfter, "fds left open");
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
                // containerd waits for EOF on the fifos before it calls Delete: no writer may remain
                assertEquals("hello from busybox\n", drainToEof(outReader));
                assertEquals("oops\n", drainToEof(errReader));
                assertEquals(3, c.delete("").exitStatus());
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
            c.update("{\"pids\":{\"limit\":64}}".getBytes(StandardCharsets.UTF_8));
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
                String text = drainToEof(outReader);
                assertTrue(text.contains("/dev/pts/"), "tty output: " + text);
                c.delete("");
            } finally {
                fds.close(outReader);
            }
        });
    }

    @Test
    void stdin_isCopiedIn_andCloseIoGivesEof() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            writeConfig(false, "/bin/busybox", "cat");
            Path in = fifo("stdin");
            Path out = fifo("stdout");
            int outReader = fds.open(out.toString(), Fds.O_RDONLY | Fds.O_NONBLOCK, 0);
            int inWriter = fds.open(in.toString(), Fds.O_RDWR, 0);
            try {
                Container c = Container.create(spec(new Stdio(in.toString(), out.toString(), "", false)), deps);
                c.start("");
                byte[] ping = "ping\n".getBytes(StandardCharsets.UTF_8);
                fds.write(inWriter, ping, 0, ping.length);
                assertTrue(fds.awaitReadable(outReader, 10_000), "cat echoed");
                assertEquals("ping\n", drain(outReader));
                assertFalse(c.waitFor("").isDone(), "cat still waits for more input");
                c.closeIo("");
                assertEquals(0, c.waitFor("").get(30, TimeUnit.SECONDS).exitStatus());
                c.delete("");
            } finally {
                fds.close(outReader);
                fds.close(inWriter);
            }
        });
    }

    @Test
    void execWithTerminal_getsAPty() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            writeConfig(false, "/bin/busybox", "sleep", "300");
            Path out = fifo("exec-out");
            int outReader = fds.open(out.toString(), Fds.O_RDONLY | Fds.O_NONBLOCK, 0);
            try {
                Container c = Container.create(spec(Stdio.none()), deps);
                c.start("");
                String processJson = """
                        {"terminal":true,"args":["/bin/busybox","tty"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}""";
                c.exec(new ExecSpec("t1", new Stdio("", out.toString(), "", true), processJson.getBytes(StandardCharsets.UTF_8)));
                c.start("t1");
                c.resizePty("t1", 80, 25);
                assertEquals(0, c.waitFor("t1").get(30, TimeUnit.SECONDS).exitStatus());
                String text = drainToEof(outReader);
                c.delete("t1");
                c.kill("", Signals.SIGKILL, true);
                c.waitFor("").get(30, TimeUnit.SECONDS);
                c.delete("");
                assertTrue(text.contains("/dev/pts/"), "exec tty output: " + text);
            } finally {
                fds.close(outReader);
            }
        });
    }

    @Test
    void adopt_afterDaemonRestart_watchesKillsAndDeletes() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            writeConfig(false, "/bin/busybox", "sleep", "300");
            Container before = Container.create(spec(Stdio.none()), deps);
            int pid = before.start("");
            ContainerRecord record = before.record();
            reaper.close(); // the old daemon goes away: that is no exit
            reaper = new PidfdReaper(fds);
            Thread.sleep(200);
            assertEquals(List.of("start init"), events);

            Container after = Container.adopt(record, depsWith(reaper));
            assertEquals(ProcessStatus.RUNNING, after.state("").status());
            assertEquals(pid, after.pid());
            after.kill("", Signals.SIGKILL, false);
            assertEquals(137, after.waitFor("").get(30, TimeUnit.SECONDS).exitStatus());
            after.delete("");
            assertEquals(List.of("start init", "exit init 137"), events);
        });
    }

    /** Reads until EOF, which a fifo reports only once every writer has closed it. */
    private String drainToEof(int fd) throws Exception {
        var bytes = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (true) {
            assertTrue(fds.awaitReadable(fd, 5000), "no EOF: a writer still holds the fifo open");
            int n = fds.read(fd, buf, 0, buf.length);
            if (n == 0) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
            if (n > 0) {
                bytes.write(buf, 0, n);
            }
        }
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
