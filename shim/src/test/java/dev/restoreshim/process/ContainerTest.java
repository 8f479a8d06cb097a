package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The container aggregate against a fake runc, reaper, mounts and signals. */
class ContainerTest {
    @TempDir
    Path dir;

    private FakeRuntime rt;

    private Container create(List<MountSpec> rootfs) {
        rt = new FakeRuntime(dir);
        return Container.create(CreateSpec.of("default", "c1", FakeRuntime.bundle(dir), rootfs, null), rt.deps());
    }

    private static final List<MountSpec> TWO_MOUNTS = List.of(
            new MountSpec("overlay", "overlay", "", List.of("lowerdir=/l", "upperdir=/u", "workdir=/w")),
            new MountSpec("bind", "/data", "data", List.of("rbind", "ro")));

    private ExecSpec execSpec(String id) {
        return new ExecSpec(id, null, "{\"args\":[\"sh\"]}".getBytes());
    }

    @Test
    void create_mountsRootfsThenRuncCreate() {
        Container c = create(TWO_MOUNTS);
        assertEquals(FakeRuntime.INIT_PID, c.pid());
        String rootfs = dir.resolve("rootfs").toString();
        assertEquals("mount overlay " + rootfs, rt.calls.get(0));
        assertEquals("mount /data " + rootfs + "/data", rt.calls.get(1));
        assertEquals("mount  " + rootfs + "/data", rt.calls.get(2)); // the read-only remount of the bind
        assertTrue(rt.calls.get(3).startsWith("create --bundle " + dir), rt.calls.get(3));
        assertEquals(ProcessStatus.CREATED, c.state("").status());
    }

    @Test
    void create_whenRuncFails_unmountsNewestFirst_andQuotesRuncError() {
        rt = new FakeRuntime(dir);
        rt.failCommands.put("create", 1);
        rt.failMessages.put("create", "unable to start container process: exec: \\\"nope\\\": not found");
        ShimException e = assertThrows(ShimException.class, () -> Container.create(
                CreateSpec.of("default", "c1", FakeRuntime.bundle(dir), TWO_MOUNTS, null), rt.deps()));
        assertEquals("runc create \"c1\": unable to start container process: exec: \"nope\": not found", e.getMessage());
        String rootfs = dir.resolve("rootfs").toString();
        assertEquals(List.of("unmount " + rootfs + "/data", "unmount " + rootfs), rt.calls.subList(4, 6));
    }

    @Test
    void create_whenSecondMountFails_unmountsOnlyTheFirst() {
        rt = new FakeRuntime(dir);
        var mounts = List.of(new MountSpec("tmpfs", "a", "", List.of()), new MountSpec("tmpfs", "fail", "x", List.of()));
        ShimException e = assertThrows(ShimException.class, () -> Container.create(
                CreateSpec.of("default", "c1", FakeRuntime.bundle(dir), mounts, null), rt.deps()));
        assertTrue(e.getMessage().contains("rootfs mount 1"), e.getMessage());
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
        String rootfs = dir.resolve("rootfs").toString();
        assertEquals(List.of("mount a " + rootfs, "unmount " + rootfs), rt.calls);
    }

    @Test
    void create_withoutConfigJson_isInvalidArgument() {
        rt = new FakeRuntime(dir);
        ShimException e = assertThrows(ShimException.class,
                () -> Container.create(CreateSpec.of("default", "c1", dir, List.of(), null), rt.deps()));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    }

    @Test
    void delete_unmountsAfterRuncDelete() throws Exception {
        Container c = create(TWO_MOUNTS);
        c.start("");
        rt.exit(FakeRuntime.INIT_PID, 3);
        ExitInfo exit = c.waitFor("").get(5, TimeUnit.SECONDS);
        assertEquals(3, exit.exitStatus());
        rt.calls.clear();
        ExitInfo deleted = c.delete("");
        assertEquals(new ExitInfo(FakeRuntime.INIT_PID, 3, exit.exitedAt()), deleted);
        String rootfs = dir.resolve("rootfs").toString();
        assertEquals(List.of("delete c1", "unmount " + rootfs + "/data", "unmount " + rootfs), rt.calls);
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(ShimException.class, () -> c.delete("")).kind());
    }

    @Test
    void initExit_isReportedAfterExecExits() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Container c = create(List.of());
            c.start("");
            c.exec(execSpec("e1"));
            int execPid = c.start("e1");
            rt.exit(FakeRuntime.INIT_PID, 0);
            // the init exit is held while e1 lives, and e1 is killed
            while (!rt.calls.contains("signal " + execPid + " 9")) {
                Thread.sleep(5);
            }
            assertEquals(List.of("start init 1000", "start e1 " + execPid), rt.events);
            assertFalse(c.waitFor("").isDone());
            rt.exit(execPid, 137);
            c.waitFor("").get(5, TimeUnit.SECONDS);
            assertEquals(List.of("start init 1000", "start e1 " + execPid, "exit e1 " + execPid + " 137", "exit init 1000 0"),
                    rt.events);
            assertTrue(c.waitFor("e1").isDone());
        });
    }

    @Test
    void exitDuringStart_isReportedAfterStart() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Container c = create(List.of());
            rt.duringCommand = cmd -> {
                if (cmd.equals("start")) {
                    rt.exit(FakeRuntime.INIT_PID, 1);
                    sleep(100); // the exit is now waiting for start() to return
                }
            };
            c.start("");
            c.waitFor("").get(5, TimeUnit.SECONDS);
            assertEquals(List.of("start init 1000", "exit init 1000 1"), rt.events);
            assertEquals(ProcessStatus.STOPPED, c.state("").status());
        });
    }

    @Test
    void execExitDuringStart_isReportedAfterStart() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Container c = create(List.of());
            c.start("");
            c.exec(execSpec("e1"));
            rt.duringCommand = cmd -> {
                if (cmd.equals("exec")) {
                    rt.exit(2001, 0);
                    sleep(100);
                }
            };
            c.start("e1");
            c.waitFor("e1").get(5, TimeUnit.SECONDS);
            assertEquals(List.of("start init 1000", "start e1 2001", "exit e1 2001 0"), rt.events);
        });
    }

    @Test
    void execAlreadyGoneWhenWatched_endsStopped() throws Exception {
        Container c = create(List.of());
        c.start("");
        c.exec(execSpec("e1"));
        rt.duringCommand = cmd -> {
            if (cmd.equals("exec")) {
                rt.processes.get(2001).complete(dev.restoreshim.sys.ExitStatus.unknown(java.time.Instant.now()));
            }
        };
        c.start("e1");
        assertEquals(255, c.waitFor("e1").get(5, TimeUnit.SECONDS).exitStatus());
        assertEquals(ProcessStatus.STOPPED, c.state("e1").status());
        assertEquals(List.of("start init 1000", "start e1 2001", "exit e1 2001 255"), rt.events);
    }

    @Test
    void createWithCheckpoint_restoresAtStart() throws Exception {
        rt = new FakeRuntime(dir);
        Container c = Container.create(new CreateSpec("default", "c1", FakeRuntime.bundle(dir), List.of(), null,
                "/ckpt/img", "/ckpt/parent"), rt.deps());
        assertEquals(0, c.pid());
        assertEquals(List.of(), rt.calls);
        assertEquals(ProcessStatus.CREATED, c.state("").status());
        assertEquals(FakeRuntime.INIT_PID, c.start(""));
        assertEquals("restore --image-path /ckpt/img --work-path " + dir.resolve("criu-work") + " --parent-path /ckpt/parent"
                + " --detach --pid-file " + dir.resolve("init.pid") + " --no-subreaper --bundle " + dir + " c1", rt.calls.getFirst());
        rt.exit(FakeRuntime.INIT_PID, 0);
        c.waitFor("").get(5, TimeUnit.SECONDS);
        assertEquals(List.of("start init 1000", "exit init 1000 0"), rt.events);
    }

    @Test
    void initExit_killsAllOnlyWithoutOwnPidNamespace() throws Exception {
        Container shared = create(List.of()); // config.json "{}": no pid namespace of its own
        shared.start("");
        rt.exit(FakeRuntime.INIT_PID, 0);
        shared.waitFor("").get(5, TimeUnit.SECONDS);
        assertTrue(rt.calls.contains("kill --all c1 9"), rt.calls.toString());

        java.nio.file.Files.writeString(dir.resolve("config.json"), "{\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}");
        rt = new FakeRuntime(dir);
        Container own = Container.create(CreateSpec.of("default", "c1", dir, List.of(), null), rt.deps());
        own.start("");
        rt.exit(FakeRuntime.INIT_PID, 0);
        own.waitFor("").get(5, TimeUnit.SECONDS);
        assertFalse(rt.calls.contains("kill --all c1 9"), rt.calls.toString());
    }

    @Test
    void deleteBeforeStart_reportsNoExit() throws Exception {
        Container c = create(List.of());
        assertEquals(new ExitInfo(FakeRuntime.INIT_PID, 0, null), c.delete(""));
        rt.exit(FakeRuntime.INIT_PID, 137); // runc delete killed runc init
        assertEquals(137, c.waitFor("").get(5, TimeUnit.SECONDS).exitStatus());
        assertEquals(List.of(), rt.events);
    }

    @Test
    void kill_ofStoppedInit_isNotFound() throws Exception {
        Container c = create(List.of());
        c.start("");
        rt.exit(FakeRuntime.INIT_PID, 0);
        c.waitFor("").get(5, TimeUnit.SECONDS);
        rt.failCommands.put("kill", 1);
        rt.failMessages.put("kill", "container not running");
        ShimException e = assertThrows(ShimException.class, () -> c.kill("", 15, false));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertEquals("process already finished", e.getMessage());
    }

    @Test
    void kill_ofExitedExec_isNotFound() throws Exception {
        Container c = create(List.of());
        c.start("");
        c.exec(execSpec("e1"));
        int pid = c.start("e1");
        c.kill("e1", 15, false);
        rt.exit(pid, 143);
        c.waitFor("e1").get(5, TimeUnit.SECONDS);
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(ShimException.class, () -> c.kill("e1", 15, false)).kind());
        assertEquals(new ExitInfo(pid, 143, c.state("e1").exitedAt()), c.delete("e1"));
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(ShimException.class, () -> c.state("e1")).kind());
    }

    @Test
    void exec_duplicateId_isAlreadyExists() {
        Container c = create(List.of());
        c.exec(execSpec("e1"));
        assertEquals(ErrorKind.ALREADY_EXISTS, assertThrows(ShimException.class, () -> c.exec(execSpec("e1"))).kind());
    }

    @Test
    void pause_whenCreated_failsPrecondition_andRunsNoRunc() {
        Container c = create(List.of());
        rt.calls.clear();
        ShimException e = assertThrows(ShimException.class, c::pause);
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertEquals(List.of(), rt.calls);
    }

    @Test
    void pids_labelsExecs() {
        Container c = create(List.of());
        c.start("");
        c.exec(execSpec("e1"));
        c.start("e1");
        assertEquals(List.of(new PidInfo(1000, ""), new PidInfo(2001, "e1"), new PidInfo(3000, "")), c.pids());
    }

    @Test
    void adopt_ofUnknownContainer_reportsExitUnknown() throws Exception {
        rt = new FakeRuntime(dir);
        rt.failCommands.put("state", 1);
        rt.failMessages.put("state", "container does not exist");
        Container c = Container.adopt(new ContainerRecord("default", "c1", FakeRuntime.bundle(dir), 1000, null, true),
                rt.deps());
        assertEquals(255, c.waitFor("").get(5, TimeUnit.SECONDS).exitStatus());
        assertEquals(ProcessStatus.STOPPED, c.state("").status());
        c.delete("");
        assertTrue(rt.calls.contains("unmount " + dir.resolve("rootfs")), rt.calls.toString());
    }

    @Test
    void adopt_ofRunningContainer_watchesInitAgain() throws Exception {
        rt = new FakeRuntime(dir);
        Container c = Container.adopt(new ContainerRecord("default", "c1", FakeRuntime.bundle(dir), 1000,
                new Stdio("", "/fifo/out", "", false), false), rt.deps());
        assertEquals(ProcessStatus.RUNNING, c.state("").status());
        assertEquals("/fifo/out", c.state("").stdout());
        assertEquals(new ContainerRecord("default", "c1", dir, 1000, new Stdio("", "/fifo/out", "", false), false),
                c.record());
        c.kill("", 15, false);
        rt.exit(1000, 255);
        assertEquals(255, c.waitFor("").get(5, TimeUnit.SECONDS).exitStatus());
        assertEquals(List.of("exit init 1000 255"), rt.events);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
