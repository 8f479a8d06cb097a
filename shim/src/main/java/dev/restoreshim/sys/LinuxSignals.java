package dev.restoreshim.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@link Signals} through libc. */
public final class LinuxSignals implements Signals {
    @Override
    public void kill(int pid, int signal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.KILL.invokeExact(st, pid, signal);
            if (rc != 0) {
                throw SysException.of("kill", Native.errno(st), "pid " + pid);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void pidfdSendSignal(int pidfd, int signal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            long rc = (long) Native.SYSCALL_PIDFD_SEND_SIGNAL.invokeExact(st, Native.SYS_PIDFD_SEND_SIGNAL,
                    pidfd, signal, MemorySegment.NULL, 0);
            if (rc != 0) {
                throw SysException.of("pidfd_send_signal", Native.errno(st), "pidfd " + pidfd);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }
}
