package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.RuncStdio;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.SysException;

/**
 * One process's stdio, wired to containerd's fifos.
 *
 * <p>Fifos are opened {@code O_RDWR}, which on Linux never blocks and never fails for want of
 * a peer. Without a terminal, stdout and stderr fds go to runc as they are, so the container
 * writes straight into containerd's fifos with no copy. We keep our fd open while the process
 * lives, so a departed reader (containerd restarting) never turns into EPIPE, and close it when
 * the process exits ({@link #processExited}) so that containerd sees EOF. stdin is copied from its fifo into a pipe whose
 * read end runc gets; {@link #closeStdin} closes the write end, which the container sees as EOF.
 * With a terminal, runc gets no stdio; {@link #attachConsole} copies the pty master to the
 * stdout fifo and the stdin fifo to the master.
 *
 * <p>Locking: {@code this} guards the fd fields; copy loops run on their own threads.
 */
final class ProcessIo implements AutoCloseable {
    private final Fds fds;
    private final Stdio stdio;
    private final String name;
    private int stdinFifo = -1;
    private int stdinRead = -1;
    private int stdinWrite = -1;
    private int stdout = -1;
    private int stderr = -1;
    private int master = -1;
    private FdCopy stdinCopy;
    private FdCopy outputCopy;

    private ProcessIo(Fds fds, Stdio stdio, String name) {
        this.fds = fds;
        this.stdio = stdio;
        this.name = name;
    }

    /** Opens the fifos of {@code stdio}; on failure everything opened so far is closed again. */
    static ProcessIo open(Fds fds, Stdio stdio, String name) {
        ProcessIo io = new ProcessIo(fds, stdio, name);
        try {
            io.stdout = io.openFifo(stdio.stdout(), "stdout");
            io.stderr = stdio.terminal() ? -1 : io.openFifo(stdio.stderr(), "stderr");
            io.stdinFifo = io.openFifo(stdio.stdin(), "stdin");
            if (io.stdinFifo >= 0 && !stdio.terminal()) {
                int[] p = fds.pipe();
                io.stdinRead = p[0];
                io.stdinWrite = p[1];
            }
            return io;
        } catch (RuntimeException e) {
            io.close();
            throw e;
        }
    }

    /** An io with nothing open: a process re-adopted after a restart keeps its fds by itself. */
    static ProcessIo detached(Fds fds, Stdio stdio, String name) {
        return new ProcessIo(fds, stdio, name);
    }

    private int openFifo(String path, String which) {
        if (path.isEmpty()) {
            return -1;
        }
        try {
            return fds.open(path, Fds.O_RDWR, 0);
        } catch (SysException e) {
            throw ShimException.invalidArgument(name + ": open " + which + " " + path + ": " + e.errnoName());
        }
    }

    /** The fds runc hands to the process: none with a terminal. */
    synchronized RuncStdio runcStdio() {
        if (stdio.terminal()) {
            return RuncStdio.none();
        }
        return new RuncStdio(stdinRead, stdout, stderr);
    }

    /** After runc passed the fds on: start the stdin copy and drop our read end of the stdin pipe. */
    synchronized void handedOff() {
        if (stdinRead >= 0) {
            fds.close(stdinRead);
            stdinRead = -1;
            stdinCopy = new FdCopy(fds, stdinFifo, stdinWrite, name + "-stdin", this::closeStdinWrite);
        }
    }

    /** Terminal: take ownership of the pty master and copy both ways. */
    synchronized void attachConsole(int ptyMaster) {
        this.master = ptyMaster;
        if (stdout < 0) {
            stdout = fds.open("/dev/null", Fds.O_WRONLY, 0);
        }
        outputCopy = new FdCopy(fds, master, stdout, name + "-pty-out", () -> { });
        if (stdinFifo >= 0) {
            stdinCopy = new FdCopy(fds, stdinFifo, master, name + "-pty-in", () -> { });
        }
    }

    /**
     * The process exited: let pty output drain (up to {@code drainMillis}), then close our stdout
     * and stderr fds. containerd's client waits for EOF on the output fifos before it calls
     * Delete, and a fifo reports EOF only once every writer is closed, ours included.
     */
    void processExited(long drainMillis) {
        FdCopy out;
        synchronized (this) {
            out = outputCopy;
        }
        if (out != null) {
            out.await(drainMillis);
            out.stop();
        }
        synchronized (this) {
            stdout = closeQuietly(stdout);
            stderr = closeQuietly(stderr);
        }
    }

    /** CloseIO: the process sees EOF on stdin. */
    void closeStdin() {
        FdCopy copy;
        synchronized (this) {
            copy = stdinCopy;
        }
        if (copy != null) {
            copy.stop();
        }
        closeStdinWrite();
    }

    /** Sets the pty's window size. */
    synchronized void resize(int width, int height) {
        if (master < 0) {
            throw ShimException.failedPrecondition(name + ": resize pty: process has no terminal");
        }
        fds.setWindowSize(master, width, height);
    }

    private synchronized void closeStdinWrite() {
        stdinWrite = closeQuietly(stdinWrite);
    }

    /** Stops the copies (letting pty output drain briefly) and closes every fd. Idempotent. */
    @Override
    public void close() {
        FdCopy in;
        FdCopy out;
        synchronized (this) {
            in = stdinCopy;
            out = outputCopy;
            stdinCopy = null;
            outputCopy = null;
        }
        if (in != null) {
            in.stop();
        }
        if (out != null) {
            out.await(500);
            out.stop();
        }
        synchronized (this) {
            stdinFifo = closeQuietly(stdinFifo);
            stdinRead = closeQuietly(stdinRead);
            stdinWrite = closeQuietly(stdinWrite);
            stdout = closeQuietly(stdout);
            stderr = closeQuietly(stderr);
            master = closeQuietly(master);
        }
    }

    private int closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                fds.close(fd);
            } catch (SysException ignored) {
                // already gone
            }
        }
        return -1;
    }
}
