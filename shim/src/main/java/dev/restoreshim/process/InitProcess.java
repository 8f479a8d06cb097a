package dev.restoreshim.process;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.CheckpointOptions;
import dev.restoreshim.runc.RestoreOptions;
import dev.restoreshim.runc.Runc;
import dev.restoreshim.runc.RuncException;
import dev.restoreshim.sys.ConsoleSocket;
import dev.restoreshim.sys.ExitStatus;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's init process: its {@link InitState} behind one lock, and the runc work each
 * transition orders.
 *
 * <p>Locking: {@link #lock} guards {@code state}, {@code pid}, {@code exit}; public operations
 * take it and delegate to the state, which calls back into the {@link InitActions} methods with
 * the lock held. The exit callback takes it too, so an exit is applied after a running
 * operation finishes. Never take the container's exit-routing lock while holding this one.
 */
final class InitProcess implements InitActions {
    private static final Logger LOG = LoggerFactory.getLogger(InitProcess.class);

    private final ReentrantLock lock = new ReentrantLock();
    private final String id;
    private final Path bundle;
    private final Stdio stdio;
    private final Runc runc;
    private final ContainerDeps deps;
    private final ProcessIo io;
    private final CleanupStack resources;
    private final IntConsumer watchPid;
    private final CompletableFuture<ExitInfo> waiter = new CompletableFuture<>();
    private InitState state;
    private int pid;
    private ExitStatus exit;

    InitProcess(String id, Path bundle, Stdio stdio, Runc runc, ContainerDeps deps, ProcessIo io,
            CleanupStack resources, InitState initial, int pid, IntConsumer watchPid) {
        this.id = id;
        this.bundle = bundle;
        this.stdio = stdio;
        this.runc = runc;
        this.deps = deps;
        this.io = io;
        this.resources = resources;
        this.state = initial;
        this.pid = pid;
        this.watchPid = watchPid;
    }

    // --- public operations: lock, delegate to the state -------------------------------------

    int pid() {
        lock.lock();
        try {
            return pid;
        } finally {
            lock.unlock();
        }
    }

    InitState state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    int startProcess() {
        lock.lock();
        try {
            state = state.start(this);
            return pid;
        } finally {
            lock.unlock();
        }
    }

    void pauseProcess() {
        transition(s -> s.pause(this));
    }

    void resumeProcess() {
        transition(s -> s.resume(this));
    }

    void updateProcess(byte[] resources) {
        transition(s -> s.update(this, resources));
    }

    void checkpointProcess(CheckpointOptions options) {
        transition(s -> s.checkpoint(this, options));
    }

    void killProcess(int signal, boolean all) {
        transition(s -> s.kill(this, signal, all));
    }

    void checkExec() {
        lock.lock();
        try {
            state.checkExec();
        } finally {
            lock.unlock();
        }
    }

    ExitInfo deleteProcess() {
        lock.lock();
        try {
            state = state.delete(this);
            return exitInfo();
        } finally {
            lock.unlock();
        }
    }

    /** Applies an exit; returns what to report. */
    ExitInfo exited(ExitStatus status) {
        lock.lock();
        try {
            exit = status;
            state = state.exited(this);
            return exitInfo();
        } finally {
            lock.unlock();
        }
    }

    CompletableFuture<ExitInfo> waiter() {
        return waiter;
    }

    ProcessState snapshot() {
        lock.lock();
        try {
            return new ProcessState(id, "", bundle.toString(), pid, state.status(), stdio.stdin(), stdio.stdout(),
                    stdio.stderr(), stdio.terminal(), exit == null ? 0 : exit.exitCode(),
                    exit == null ? java.time.Instant.EPOCH : exit.exitedAt());
        } finally {
            lock.unlock();
        }
    }

    ProcessIo io() {
        return io;
    }

    private ExitInfo exitInfo() {
        return exit == null ? new ExitInfo(pid, 0, null) : new ExitInfo(pid, exit.exitCode(), exit.exitedAt());
    }

    private void transition(java.util.function.UnaryOperator<InitState> op) {
        lock.lock();
        try {
            state = op.apply(state);
        } finally {
            lock.unlock();
        }
    }

    // --- InitActions: called by the state with the lock held --------------------------------

    @Override
    public void start() {
        runc.start(id);
    }

    @Override
    public void restore(RestoreOptions options) {
        ConsoleSocket socket = stdio.terminal() ? Consoles.open(deps.fds()) : null;
        try {
            RestoreOptions opts = socket == null ? options : options.withConsoleSocket(socket.path());
            pid = runc.restore(id, opts, io.runcStdio());
            if (socket != null) {
                io.attachConsole(socket.receiveMaster(deps.consoleTimeout()));
            }
            io.handedOff();
            watchPid.accept(pid);
        } finally {
            if (socket != null) {
                Consoles.close(socket);
            }
        }
    }

    @Override
    public void pause() {
        runc.pause(id);
    }

    @Override
    public void resume() {
        runc.resume(id);
    }

    @Override
    public void update(byte[] resources) {
        runc.update(id, resources);
    }

    @Override
    public void checkpoint(CheckpointOptions options) {
        runc.checkpoint(id, options);
    }

    @Override
    public void kill(int signal, boolean all) {
        try {
            runc.kill(id, signal, all);
        } catch (RuncException e) {
            throw KillFailures.classify(e);
        }
    }

    @Override
    public void delete() {
        try {
            runc.delete(id, false);
        } catch (RuncException e) {
            if (e.kind() != ErrorKind.NOT_FOUND) {
                throw e;
            }
        }
        io.close();
        resources.close();
    }

    @Override
    public void resumeAfterExit() {
        try {
            runc.resume(id);
        } catch (ShimException e) {
            LOG.warn("msg=\"resume of exited paused container failed\" id={} error=\"{}\"", id, e.getMessage());
        }
    }
}
