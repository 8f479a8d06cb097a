package dev.restoreshim.process;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.CheckpointOptions;
import dev.restoreshim.runc.CreateOptions;
import dev.restoreshim.runc.RestoreOptions;
import dev.restoreshim.runc.Runc;
import dev.restoreshim.runc.RuncException;
import dev.restoreshim.runc.RuncState;
import dev.restoreshim.sys.ConsoleSocket;
import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container (a containerd task): its init process, its exec'd processes and the resources
 * created for it (rootfs mounts, stdio). The equivalent of the runc shim's {@code runc.Container}.
 * An empty exec id always means the init process.
 *
 * <p>Starts and exits are reported to the {@link ExitListener} in the order it documents. Each
 * process has its own lock ({@link InitProcess}, {@link ExecProcess}); {@link #execs} is a
 * concurrent map; the {@link ExitRouter} has its own lock, never taken while a process lock is
 * held.
 */
public final class Container {
    private static final Logger LOG = LoggerFactory.getLogger(Container.class);
    /**
     * Exit handlers always run on their own virtual thread: a watch registered while a process
     * lock is held may already be complete, and running its handler inline would apply the exit
     * inside the very transition that is still in progress.
     */
    /** How long an exit waits for a pty's last output to reach the stdout fifo. */
    private static final long OUTPUT_DRAIN_MILLIS = 1000;
    private static final Executor EXIT_HANDLERS = task -> Thread.ofVirtual().name("exit-handler").start(task);

    private final String namespace;
    private final String id;
    private final Path bundle;
    private final boolean rootfsMounted;
    private final boolean killAllOnExit;
    private final ContainerDeps deps;
    private final Runc runc;
    private final ExitRouter router;
    private final Map<String, ExecProcess> execs = new ConcurrentHashMap<>();
    private InitProcess init;

    private Container(String namespace, String id, Path bundle, boolean rootfsMounted, ContainerDeps deps) {
        this.namespace = namespace;
        this.id = id;
        this.bundle = bundle;
        this.rootfsMounted = rootfsMounted;
        this.deps = deps;
        this.runc = deps.runc().withLog(bundle.resolve("log.json"));
        this.router = new ExitRouter(id, deps.listener(), this::killExecsAfterInitExit);
        this.killAllOnExit = BundleSpec.sharesPidNamespace(bundle);
    }

    /**
     * Creates the container: mounts the rootfs, opens the stdio, runs {@code runc create} (or,
     * with a checkpoint, records a restore for Start), and watches the init pid. Anything made
     * before a failure is undone, newest first.
     */
    public static Container create(CreateSpec spec, ContainerDeps deps) {
        if (!Files.isRegularFile(spec.bundle().resolve("config.json"))) {
            throw ShimException.invalidArgument("create task \"" + spec.id() + "\": bundle " + spec.bundle()
                    + ": config.json not found");
        }
        Container c = new Container(spec.namespace(), spec.id(), spec.bundle(), !spec.rootfs().isEmpty(), deps);
        CleanupStack resources = new CleanupStack();
        try {
            c.init = c.createInit(spec, resources);
            return c;
        } catch (RuntimeException e) {
            resources.close();
            throw e;
        }
    }

    private InitProcess createInit(CreateSpec spec, CleanupStack resources) {
        Path rootfs = bundle.resolve("rootfs");
        if (!spec.rootfs().isEmpty()) {
            createDirectory(rootfs);
            RootfsMounts.mountAll(deps.mounts(), id, rootfs, spec.rootfs(), resources);
        }
        ProcessIo io = ProcessIo.open(deps.fds(), spec.stdio(), id);
        resources.push("close stdio of " + id, io::close);
        Path pidFile = bundle.resolve("init.pid");
        if (!spec.checkpoint().isEmpty()) {
            RestoreOptions restore = RestoreOptions.of(Path.of(spec.checkpoint()), bundle.resolve("criu-work"), bundle,
                    pidFile, null).withParentPath(spec.parentCheckpoint().isEmpty() ? null : Path.of(spec.parentCheckpoint()));
            return newInit(spec.stdio(), io, resources, new InitState.CreatedFromCheckpoint(restore), 0);
        }
        ConsoleSocket socket = spec.stdio().terminal() ? Consoles.open(deps.fds()) : null;
        try {
            int pid = runc.create(id, new CreateOptions(bundle, pidFile, socket == null ? null : socket.path(), false,
                    false), io.runcStdio());
            try {
                if (socket != null) {
                    io.attachConsole(socket.receiveMaster(deps.consoleTimeout()));
                }
                io.handedOff();
            } catch (RuntimeException e) {
                deleteQuietly();
                throw e;
            }
            InitProcess p = newInit(spec.stdio(), io, resources, new InitState.Created(), pid);
            watchInit(p, pid);
            LOG.info("msg=\"container created\" ns={} id={} pid={}", namespace, id, pid);
            return p;
        } finally {
            if (socket != null) {
                Consoles.close(socket);
            }
        }
    }

    private InitProcess newInit(Stdio stdio, ProcessIo io, CleanupStack resources, InitState state, int pid) {
        InitProcess[] self = new InitProcess[1];
        self[0] = new InitProcess(id, bundle, stdio, runc, deps, io, resources, state, pid, p -> watchInit(self[0], p));
        return self[0];
    }

    private void watchInit(InitProcess p, int pid) {
        deps.reaper().watch(pid).whenCompleteAsync((s, failure) -> {
            if (failure != null) {
                stopWatching(pid, failure);
                return;
            }
            ExitInfo info = p.exited(s);
            if (killAllOnExit) {
                killAllQuietly(); // no own pid namespace: the init's children would outlive it
            }
            p.io().processExited(OUTPUT_DRAIN_MILLIS);
            if (p.state() instanceof InitState.Deleted) {
                // deleted before it exited (a created task's runc init): containerd reports no exit then
                p.waiter().complete(info);
                return;
            }
            router.exited("", pid, info, () -> p.waiter().complete(info));
        }, EXIT_HANDLERS);
    }

    /**
     * Rebuilds a container after a daemon restart from its record and {@code runc state}, and
     * watches the init pid again (its exit status is then unknown, 255: it is no longer our
     * child). Stdio copies of the old daemon (stdin, terminal) are gone; stdout and stderr keep
     * flowing because the container holds the fifo fds itself. A container runc no longer knows,
     * or that stopped meanwhile, is reported exited at once.
     */
    public static Container adopt(ContainerRecord record, ContainerDeps deps) {
        Container c = new Container(record.namespace(), record.id(), record.bundle(), record.rootfsMounted(), deps);
        CleanupStack resources = new CleanupStack();
        if (record.rootfsMounted()) {
            String rootfs = record.bundle().resolve("rootfs").toString();
            resources.push("unmount " + rootfs, () -> deps.mounts().unmount(rootfs, Mounts.MNT_DETACH));
        }
        RuncState st = null;
        try {
            st = c.runc.state(record.id());
        } catch (RuncException e) {
            if (e.kind() != ErrorKind.NOT_FOUND) {
                throw e;
            }
        }
        InitState state = st == null ? new InitState.Stopped() : switch (st.status()) {
            case "created" -> new InitState.Created();
            case "running" -> new InitState.Running();
            case "paused" -> new InitState.Paused();
            default -> new InitState.Stopped();
        };
        ProcessIo io = ProcessIo.detached(deps.fds(), record.stdio(), record.id());
        c.init = c.newInit(record.stdio(), io, resources, state, record.initPid());
        if (state instanceof InitState.Stopped) {
            ExitInfo info = c.init.exited(ExitStatus.unknown(Instant.now()));
            c.router.exited("", record.initPid(), info, () -> c.init.waiter().complete(info));
        } else {
            c.watchInit(c.init, record.initPid());
        }
        return c;
    }

    /** What to persist for {@link #adopt}. */
    public ContainerRecord record() {
        ProcessState s = init.snapshot();
        return new ContainerRecord(namespace, id, bundle, s.pid(), new Stdio(s.stdin(), s.stdout(), s.stderr(),
                s.terminal()), rootfsMounted);
    }

    /** The container id. */
    public String id() {
        return id;
    }

    /** The containerd namespace. */
    public String namespace() {
        return namespace;
    }

    /** The bundle directory. */
    public Path bundle() {
        return bundle;
    }

    /** The init pid (0 before a checkpoint restore ran). */
    public int pid() {
        return init.pid();
    }

    /** Starts init (execId empty) or an exec; returns its pid. Reports {@code started} before returning. */
    public int start(String execId) {
        router.beginStart(execId);
        int pid = 0;
        boolean ok = false;
        try {
            pid = execId.isEmpty() ? init.startProcess() : exec(execId).startProcess();
            ok = true;
            if (execId.isEmpty()) {
                LOG.info("msg=\"container started\" ns={} id={} pid={}", namespace, id, pid);
            }
            return pid;
        } finally {
            router.finishStart(execId, pid, ok);
        }
    }

    /** Signals init (with {@code all}: every process of the container) or an exec. */
    public void kill(String execId, int signal, boolean all) {
        if (execId.isEmpty()) {
            init.killProcess(signal, all);
        } else {
            exec(execId).killProcess(signal);
        }
    }

    /**
     * Deletes init (the whole container: runc delete, stdio, rootfs mounts) or an exec, and
     * returns its exit.
     */
    public ExitInfo delete(String execId) {
        if (!execId.isEmpty()) {
            ExitInfo info = exec(execId).deleteProcess();
            execs.remove(execId);
            return info;
        }
        ExitInfo info = init.deleteProcess();
        LOG.info("msg=\"container deleted\" ns={} id={} exit={}", namespace, id, info.exitStatus());
        return info;
    }

    /** A snapshot of init or an exec. */
    public ProcessState state(String execId) {
        return execId.isEmpty() ? init.snapshot() : exec(execId).snapshot();
    }

    /** Adds an exec (not started). AlreadyExists for a known exec id; refused unless init is created or running. */
    public void exec(ExecSpec spec) {
        init.checkExec();
        ExecProcess[] self = {null};
        ExecProcess p = new ExecProcess(id, bundle, spec, runc, deps, pid -> watchExec(self[0], pid));
        self[0] = p;
        if (execs.putIfAbsent(spec.execId(), p) != null) {
            throw ShimException.alreadyExists("exec \"" + spec.execId() + "\" already exists in task \"" + id + "\"");
        }
    }

    private void watchExec(ExecProcess p, int pid) {
        deps.reaper().watch(pid).whenCompleteAsync((s, failure) -> {
            if (failure != null) {
                stopWatching(pid, failure);
                return;
            }
            ExitInfo info = p.exited(s);
            p.io().processExited(OUTPUT_DRAIN_MILLIS);
            router.exited(p.execId(), pid, info, () -> p.waiter().complete(info));
        }, EXIT_HANDLERS);
    }

    /** Freezes the container. */
    public void pause() {
        init.pauseProcess();
    }

    /** Thaws the container. */
    public void resume() {
        init.resumeProcess();
    }

    /** Applies new resources (OCI LinuxResources JSON). */
    public void update(byte[] resourcesJson) {
        init.updateProcess(resourcesJson);
    }

    /** Checkpoints the container with runc and CRIU. */
    public void checkpoint(CheckpointOptions options) {
        init.checkpointProcess(options);
    }

    /** The pids in the container, exec'd ones labelled with their exec id. */
    public List<PidInfo> pids() {
        Map<Integer, String> byPid = new HashMap<>();
        execs.values().forEach(e -> byPid.put(e.pid(), e.execId()));
        List<PidInfo> out = new ArrayList<>();
        for (int pid : runc.ps(id)) {
            out.add(new PidInfo(pid, byPid.getOrDefault(pid, "")));
        }
        return out;
    }

    /** Resizes the pty of init or an exec. */
    public void resizePty(String execId, int width, int height) {
        (execId.isEmpty() ? init.io() : exec(execId).io()).resize(width, height);
    }

    /** Closes stdin of init or an exec: the process reads EOF. */
    public void closeIo(String execId) {
        (execId.isEmpty() ? init.io() : exec(execId).io()).closeStdin();
    }

    /** Completes with the exit of init or an exec, after the exit was reported to the listener. */
    public CompletableFuture<ExitInfo> waitFor(String execId) {
        return execId.isEmpty() ? init.waiter() : exec(execId).waiter();
    }

    /** The exec ids currently known. */
    public List<String> execIds() {
        return List.copyOf(execs.keySet());
    }

    private ExecProcess exec(String execId) {
        ExecProcess p = execs.get(execId);
        if (p == null) {
            throw ShimException.notFound("exec \"" + execId + "\" not found in task \"" + id + "\"");
        }
        return p;
    }

    private void killExecsAfterInitExit() {
        for (ExecProcess e : execs.values()) {
            ProcessState s = e.snapshot();
            int pid = s.pid();
            if (pid > 0 && s.status() == ProcessStatus.RUNNING) {
                try {
                    deps.signals().kill(pid, Signals.SIGKILL);
                } catch (RuntimeException ignored) {
                    // already gone: its exit is on its way
                }
            }
        }
    }

    /**
     * The reaper stopped (daemon shutdown): the process did not exit, so nothing is reported;
     * a restarted daemon re-adopts it.
     */
    private void stopWatching(int pid, Throwable why) {
        LOG.debug("msg=\"stopped watching\" id={} pid={} reason=\"{}\"", id, pid, why.getMessage());
    }

    private void killAllQuietly() {
        try {
            runc.kill(id, Signals.SIGKILL, true);
        } catch (ShimException e) {
            LOG.debug("msg=\"kill --all after init exit failed\" id={} error=\"{}\"", id, e.getMessage());
        }
    }

    private void deleteQuietly() {
        try {
            runc.delete(id, true);
        } catch (ShimException e) {
            LOG.warn("msg=\"runc delete after failed create failed\" id={} error=\"{}\"", id, e.getMessage());
        }
    }

    private static void createDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ShimException.internal("create rootfs directory " + dir + ": " + e.getMessage(), e);
        }
    }
}
