package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.ExecOptions;
import dev.restoreshim.runc.Runc;
import dev.restoreshim.sys.ConsoleSocket;
import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.NoSuchProcessException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A process exec'd into a container: its {@link ExecState} behind one lock. Start writes the
 * process spec next to the bundle, opens the stdio and runs {@code runc exec --detach}.
 *
 * <p>Locking: {@link #lock} guards {@code state}, {@code pid}, {@code exit}, {@code io}.
 */
final class ExecProcess implements ExecActions {
    private final ReentrantLock lock = new ReentrantLock();
    private final String containerId;
    private final Path bundle;
    private final ExecSpec spec;
    private final Runc runc;
    private final ContainerDeps deps;
    private final IntConsumer watchPid;
    private final CompletableFuture<ExitInfo> waiter = new CompletableFuture<>();
    private ExecState state = new ExecState.Created();
    private ProcessIo io;
    private int pid;
    private ExitStatus exit;

    ExecProcess(String containerId, Path bundle, ExecSpec spec, Runc runc, ContainerDeps deps, IntConsumer watchPid) {
        this.containerId = containerId;
        this.bundle = bundle;
        this.spec = spec;
        this.runc = runc;
        this.deps = deps;
        this.watchPid = watchPid;
    }

    String execId() {
        return spec.execId();
    }

    int pid() {
        lock.lock();
        try {
            return pid;
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

    void killProcess(int signal) {
        lock.lock();
        try {
            state = state.kill(this, signal);
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

    ExitInfo exited(ExitStatus status) {
        lock.lock();
        try {
            exit = status;
            state = state.exited();
            return exitInfo();
        } finally {
            lock.unlock();
        }
    }

    CompletableFuture<ExitInfo> waiter() {
        return waiter;
    }

    ProcessIo io() {
        lock.lock();
        try {
            if (io == null) {
                throw ShimException.failedPrecondition("exec \"" + spec.execId() + "\": process not started");
            }
            return io;
        } finally {
            lock.unlock();
        }
    }

    ProcessState snapshot() {
        lock.lock();
        try {
            Stdio s = spec.stdio();
            return new ProcessState(containerId, spec.execId(), bundle.toString(), pid, state.status(), s.stdin(),
                    s.stdout(), s.stderr(), s.terminal(), exit == null ? 0 : exit.exitCode(),
                    exit == null ? Instant.EPOCH : exit.exitedAt());
        } finally {
            lock.unlock();
        }
    }

    private ExitInfo exitInfo() {
        return exit == null ? new ExitInfo(pid, 0, null) : new ExitInfo(pid, exit.exitCode(), exit.exitedAt());
    }

    private Path processFile() {
        return bundle.resolve("exec-" + spec.execId() + ".json");
    }

    private Path pidFile() {
        return bundle.resolve("exec-" + spec.execId() + ".pid");
    }

    // --- ExecActions, with the lock held ----------------------------------------------------

    @Override
    public int start() {
        try {
            Files.write(processFile(), spec.processJson());
        } catch (IOException e) {
            throw ShimException.internal("exec \"" + spec.execId() + "\": write process spec: " + e.getMessage(), e);
        }
        io = ProcessIo.open(deps.fds(), spec.stdio(), containerId + "-" + spec.execId());
        ConsoleSocket socket = spec.stdio().terminal() ? Consoles.open(deps.fds()) : null;
        try {
            pid = runc.exec(containerId, new ExecOptions(processFile(), pidFile(), socket == null ? null : socket.path()),
                    io.runcStdio());
            if (socket != null) {
                io.attachConsole(socket.receiveMaster(deps.consoleTimeout()));
            }
            io.handedOff();
            watchPid.accept(pid);
            return pid;
        } catch (RuntimeException e) {
            io.close();
            throw e;
        } finally {
            if (socket != null) {
                Consoles.close(socket);
            }
        }
    }

    @Override
    public void kill(int signal) {
        try {
            deps.signals().kill(pid, signal);
        } catch (NoSuchProcessException e) {
            throw ShimException.notFound("process already finished");
        }
    }

    @Override
    public void delete() {
        if (io != null) {
            io.close();
        }
        try {
            Files.deleteIfExists(processFile());
            Files.deleteIfExists(pidFile());
        } catch (IOException ignored) {
            // files in the bundle go with the bundle
        }
    }
}
