package dev.restoreshim.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** {@link PageCache} through libc. */
public final class LinuxPageCache implements PageCache {
    private static final int O_RDONLY_CLOEXEC = Fds.O_RDONLY | Fds.O_CLOEXEC;
    private static final int POSIX_FADV_WILLNEED = 3;

    @Override
    public void willNeed(Path file, long offset, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int fd = (int) Native.OPEN.invokeExact(st, a.allocateFrom(file.toString()), O_RDONLY_CLOEXEC, 0);
            if (fd < 0) {
                throw SysException.of("open", Native.errno(st), file.toString());
            }
            try {
                int rc = (int) Native.POSIX_FADVISE.invokeExact(fd, offset, length, POSIX_FADV_WILLNEED);
                if (rc != 0) {
                    throw SysException.of("posix_fadvise", rc, file.toString());
                }
            } finally {
                int ignored = (int) Native.CLOSE.invokeExact(st, fd);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }
}
