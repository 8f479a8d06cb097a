package dev.restoreshim.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@link FileOps} through libc. */
public final class LinuxFileOps implements FileOps {
    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int ENODATA = 61;
    private static final int ERANGE = 34;

    @Override
    public void mknod(String path, int mode, long dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.MKNOD.invokeExact(st, a.allocateFrom(path), mode, dev);
            check(rc, st, "mknod", path);
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void chmod(String path, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.CHMOD.invokeExact(st, a.allocateFrom(path), mode);
            check(rc, st, "chmod", path);
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void lchown(String path, int uid, int gid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.LCHOWN.invokeExact(st, a.allocateFrom(path), uid, gid);
            check(rc, st, "lchown", path);
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void lsetxattr(String path, String name, byte[] value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
            int rc = (int) Native.LSETXATTR.invokeExact(st, a.allocateFrom(path), a.allocateFrom(name), v,
                    (long) value.length, 0);
            check(rc, st, "lsetxattr", path + " " + name);
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public byte[] lgetxattr(String path, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment p = a.allocateFrom(path);
            MemorySegment n = a.allocateFrom(name);
            for (int size = 256; ; size *= 4) {
                MemorySegment buf = a.allocate(size);
                long got = (long) Native.LGETXATTR.invokeExact(st, p, n, buf, (long) size);
                if (got >= 0) {
                    return buf.asSlice(0, got).toArray(JAVA_BYTE);
                }
                int errno = Native.errno(st);
                if (errno == ENODATA) {
                    return null;
                }
                if (errno != ERANGE || size > (1 << 20)) {
                    throw SysException.of("lgetxattr", errno, path + " " + name);
                }
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void utimes(String path, long atimeNanos, long mtimeNanos) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment ts = a.allocate(JAVA_LONG, 4);
            putTimespec(ts, 0, atimeNanos);
            putTimespec(ts, 2, mtimeNanos);
            int rc = (int) Native.UTIMENSAT.invokeExact(st, AT_FDCWD, a.allocateFrom(path), ts, AT_SYMLINK_NOFOLLOW);
            check(rc, st, "utimensat", path);
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    private static void putTimespec(MemorySegment ts, int index, long nanos) {
        if (nanos == UTIME_OMIT) {
            ts.setAtIndex(JAVA_LONG, index, 0);
            ts.setAtIndex(JAVA_LONG, index + 1, UTIME_OMIT);
        } else {
            ts.setAtIndex(JAVA_LONG, index, Math.floorDiv(nanos, 1_000_000_000L));
            ts.setAtIndex(JAVA_LONG, index + 1, Math.floorMod(nanos, 1_000_000_000L));
        }
    }

    private static void check(int rc, MemorySegment st, String call, String path) {
        if (rc != 0) {
            throw SysException.of(call, Native.errno(st), path);
        }
    }
}
