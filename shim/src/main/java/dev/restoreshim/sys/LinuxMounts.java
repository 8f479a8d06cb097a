package dev.restoreshim.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@link Mounts} through libc. */
public final class LinuxMounts implements Mounts {
    @Override
    public void mount(String source, String target, String fstype, long flags, String data) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment src = cString(a, source);
            MemorySegment tgt = a.allocateFrom(target);
            MemorySegment type = cString(a, fstype);
            MemorySegment d = cString(a, data);
            int rc = (int) Native.MOUNT.invokeExact(st, src, tgt, type, flags, d);
            if (rc != 0) {
                throw SysException.of("mount", Native.errno(st), target);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void unmount(String target, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.UMOUNT2.invokeExact(st, a.allocateFrom(target), flags);
            if (rc != 0) {
                throw SysException.of("umount2", Native.errno(st), target);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment cString(Arena a, String s) {
        return s == null || s.isEmpty() ? MemorySegment.NULL : a.allocateFrom(s);
    }

    static RuntimeException rethrow(Throwable t) {
        return Native.linkFailure(t);
    }
}
