package dev.restoreshim.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@link ProcessControl} through libc prctl. */
public final class LinuxProcessControl implements ProcessControl {
    private static final int PR_SET_CHILD_SUBREAPER = 36;

    @Override
    public void setChildSubreaper(boolean on) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.PRCTL.invokeExact(st, PR_SET_CHILD_SUBREAPER, on ? 1L : 0L, 0L, 0L, 0L);
            if (rc != 0) {
                throw SysException.of("prctl", Native.errno(st), "PR_SET_CHILD_SUBREAPER");
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }
}
