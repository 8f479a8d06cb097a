package dev.restoreshim.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@link Fds} through libc. */
public final class LinuxFds implements Fds {
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final long TIOCSWINSZ = 0x5414;
    private static final short POLLIN = 1;

    @Override
    public int open(String path, int flags, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int fd = (int) Native.OPEN.invokeExact(st, a.allocateFrom(path), flags | O_CLOEXEC, mode);
            if (fd < 0) {
                throw SysException.of("open", Native.errno(st), path);
            }
            return fd;
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.CLOSE.invokeExact(st, fd);
            if (rc != 0 && Native.errno(st) == Errno.EBADF) {
                throw SysException.of("close", Errno.EBADF, "fd " + fd);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public int[] pipe() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            int rc = (int) Native.PIPE2.invokeExact(st, fds, O_CLOEXEC);
            if (rc != 0) {
                throw SysException.of("pipe2", Native.errno(st), "");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public int read(int fd, byte[] buf, int off, int len) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment seg = a.allocate(Math.max(1, len));
            while (true) {
                long n = (long) Native.READ.invokeExact(st, fd, seg, (long) len);
                if (n >= 0) {
                    MemorySegment.copy(seg, JAVA_BYTE, 0, buf, off, (int) n);
                    return (int) n;
                }
                int errno = Native.errno(st);
                if (errno == Errno.EAGAIN) {
                    return -1;
                }
                if (errno != Errno.EINTR) {
                    throw SysException.of("read", errno, "fd " + fd);
                }
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void write(int fd, byte[] buf, int off, int len) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment seg = a.allocate(Math.max(1, len));
            MemorySegment.copy(buf, off, seg, JAVA_BYTE, 0, len);
            long done = 0;
            while (done < len) {
                long n = (long) Native.WRITE.invokeExact(st, fd, seg.asSlice(done), (long) len - done);
                if (n >= 0) {
                    done += n;
                } else if (Native.errno(st) == Errno.EAGAIN) {
                    awaitWritable(fd);
                } else if (Native.errno(st) != Errno.EINTR) {
                    throw SysException.of("write", Native.errno(st), "fd " + fd);
                }
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void setNonBlocking(int fd, boolean on) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int flags = (int) Native.FCNTL_INT.invokeExact(st, fd, F_GETFL, 0);
            if (flags < 0) {
                throw SysException.of("fcntl", Native.errno(st), "fd " + fd);
            }
            int next = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
            int rc = (int) Native.FCNTL_INT.invokeExact(st, fd, F_SETFL, next);
            if (rc < 0) {
                throw SysException.of("fcntl", Native.errno(st), "fd " + fd);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public boolean awaitReadable(int fd, int timeoutMillis) {
        return poll(fd, POLLIN, timeoutMillis);
    }

    private void awaitWritable(int fd) {
        poll(fd, (short) 4 /* POLLOUT */, 1000);
    }

    private boolean poll(int fd, short events, int timeoutMillis) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment pfd = a.allocate(8);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, events);
            int rc = (int) Native.POLL.invokeExact(st, pfd, 1L, timeoutMillis);
            if (rc < 0) {
                if (Native.errno(st) == Errno.EINTR) {
                    return false;
                }
                throw SysException.of("poll", Native.errno(st), "fd " + fd);
            }
            return rc > 0;
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void setWindowSize(int fd, int width, int height) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment ws = a.allocate(8);
            ws.set(JAVA_SHORT, 0, (short) height);
            ws.set(JAVA_SHORT, 2, (short) width);
            int rc = (int) Native.IOCTL_PTR.invokeExact(st, fd, TIOCSWINSZ, ws);
            if (rc != 0) {
                throw SysException.of("ioctl", Native.errno(st), "TIOCSWINSZ fd " + fd);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }
}
