package dev.restoreshim.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@link FsMounts} through libc (glibc 2.36 and later has the wrappers). */
public final class LinuxFsMounts implements FsMounts {
    private static final int FSOPEN_CLOEXEC = 1;
    private static final int FSMOUNT_CLOEXEC = 1;
    private static final int FSCONFIG_SET_FLAG = 0;
    private static final int FSCONFIG_SET_STRING = 1;
    private static final int FSCONFIG_CMD_CREATE = 6;
    private static final int MOVE_MOUNT_F_EMPTY_PATH = 0x4;

    @Override
    public void mount(String fstype, List<Param> params, int attrFlags, String target) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int fsfd = (int) Native.FSOPEN.invokeExact(st, a.allocateFrom(fstype), FSOPEN_CLOEXEC);
            if (fsfd < 0) {
                throw SysException.of("fsopen", Native.errno(st), fstype + " for " + target);
            }
            try {
                for (Param p : params) {
                    int rc = switch (p) {
                        case Flag f -> (int) Native.FSCONFIG.invokeExact(st, fsfd, FSCONFIG_SET_FLAG,
                                a.allocateFrom(f.key()), MemorySegment.NULL, 0);
                        case Value v -> (int) Native.FSCONFIG.invokeExact(st, fsfd, FSCONFIG_SET_STRING,
                                a.allocateFrom(v.key()), a.allocateFrom(v.value()), 0);
                    };
                    if (rc != 0) {
                        throw failure(st, fsfd, "fsconfig", target + " " + describe(p));
                    }
                }
                int rc = (int) Native.FSCONFIG.invokeExact(st, fsfd, FSCONFIG_CMD_CREATE, MemorySegment.NULL,
                        MemorySegment.NULL, 0);
                if (rc != 0) {
                    throw failure(st, fsfd, "fsconfig", target + " create");
                }
                int mfd = (int) Native.FSMOUNT.invokeExact(st, fsfd, FSMOUNT_CLOEXEC, attrFlags);
                if (mfd < 0) {
                    throw failure(st, fsfd, "fsmount", target);
                }
                try {
                    rc = (int) Native.MOVE_MOUNT.invokeExact(st, mfd, a.allocateFrom(""), LinuxFileOps.AT_FDCWD,
                            a.allocateFrom(target), MOVE_MOUNT_F_EMPTY_PATH);
                    if (rc != 0) {
                        throw SysException.of("move_mount", Native.errno(st), target);
                    }
                } finally {
                    close(mfd);
                }
            } finally {
                close(fsfd);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    private static String describe(Param p) {
        return switch (p) {
            case Flag f -> f.key();
            case Value v -> v.key() + "=" + v.value();
        };
    }

    /** The errno of the failed call plus whatever the kernel logged on the fs context (overlayfs logs to dmesg instead). */
    private static SysException failure(MemorySegment st, int fsfd, String call, String what) throws Throwable {
        int errno = Native.errno(st);
        String log = kernelLog(fsfd);
        return SysException.of(call, errno, log.isEmpty() ? what : what + " (" + log + ")");
    }

    private static String kernelLog(int fsfd) throws Throwable {
        StringBuilder out = new StringBuilder();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment buf = a.allocate(1024);
            for (int i = 0; i < 16; i++) {
                long n = (long) Native.READ.invokeExact(st, fsfd, buf, 1024L);
                if (n <= 0) {
                    break;
                }
                String line = new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8).strip();
                out.append(out.isEmpty() ? "" : "; ").append(line);
            }
        }
        return out.toString();
    }

    private static void close(int fd) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            int ignored = (int) Native.CLOSE.invokeExact(Native.callState(a), fd);
        }
    }
}
