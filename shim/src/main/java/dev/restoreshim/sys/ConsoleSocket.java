package dev.restoreshim.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The AF_UNIX socket passed to {@code runc --console-socket}: runc connects once and sends the
 * pty master as SCM_RIGHTS. {@link #receiveMaster} accepts that connection and returns the fd.
 * Closing removes the socket file.
 */
public final class ConsoleSocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SUN_PATH_MAX = 108;

    private final Path path;
    private final int fd;
    private final Fds fds;

    private ConsoleSocket(Path path, int fd, Fds fds) {
        this.path = path;
        this.fd = fd;
        this.fds = fds;
    }

    /** Binds and listens on {@code path} (at most 107 bytes). */
    public static ConsoleSocket listen(Path path, Fds fds) {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            throw new IllegalArgumentException("console socket path: longer than 107 bytes: " + path);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int s = (int) Native.SOCKET.invokeExact(st, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (s < 0) {
                throw SysException.of("socket", Native.errno(st), path.toString());
            }
            try {
                MemorySegment addr = a.allocate(2 + SUN_PATH_MAX);
                addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
                MemorySegment.copy(name, 0, addr, java.lang.foreign.ValueLayout.JAVA_BYTE, 2, name.length);
                if ((int) Native.BIND.invokeExact(st, s, addr, 2 + name.length + 1) != 0) {
                    throw SysException.of("bind", Native.errno(st), path.toString());
                }
                if ((int) Native.LISTEN.invokeExact(st, s, 1) != 0) {
                    throw SysException.of("listen", Native.errno(st), path.toString());
                }
                return new ConsoleSocket(path, s, fds);
            } catch (Throwable t) {
                fds.close(s);
                throw t;
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    /** The socket's path, for {@code --console-socket}. */
    public Path path() {
        return path;
    }

    /**
     * Waits up to {@code timeout} for runc to connect and returns the received pty master fd
     * (close-on-exec; the caller owns it).
     *
     * @throws SysException with call {@code accept} and errno ETIMEDOUT when nobody connected in time
     */
    public int receiveMaster(Duration timeout) {
        if (!fds.awaitReadable(fd, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))) {
            throw new SysException("accept", 110 /* ETIMEDOUT */, path.toString());
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int conn = (int) Native.ACCEPT4.invokeExact(st, fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
            if (conn < 0) {
                throw SysException.of("accept", Native.errno(st), path.toString());
            }
            try {
                return receiveFd(a, conn);
            } finally {
                fds.close(conn);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    private int receiveFd(Arena a, int conn) throws Throwable {
        MemorySegment st = Native.callState(a);
        MemorySegment data = a.allocate(4096);
        MemorySegment iov = a.allocate(16, 8);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, data.byteSize());
        MemorySegment control = a.allocate(64, 8);
        MemorySegment msg = a.allocate(56, 8);
        msg.set(ADDRESS, 16, iov);
        msg.set(JAVA_LONG, 24, 1L);
        msg.set(ADDRESS, 32, control);
        msg.set(JAVA_LONG, 40, control.byteSize());
        long n;
        do {
            n = (long) Native.RECVMSG.invokeExact(st, conn, msg, MSG_CMSG_CLOEXEC);
        } while (n < 0 && Native.errno(st) == Errno.EINTR);
        if (n < 0) {
            throw SysException.of("recvmsg", Native.errno(st), path.toString());
        }
        long controlLen = msg.get(JAVA_LONG, 40);
        // struct cmsghdr { size_t len; int level; int type; data... }
        if (controlLen < 20 || control.get(JAVA_INT, 8) != SOL_SOCKET || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
            throw new SysException("recvmsg", Errno.EINVAL, path + " (no SCM_RIGHTS fd received)");
        }
        return control.get(JAVA_INT, 16);
    }

    @Override
    public void close() {
        fds.close(fd);
        try {
            Files.deleteIfExists(path);
        } catch (java.io.IOException e) {
            // a leftover socket file is harmless; the directory is removed with the bundle
        }
    }
}
