package dev.restoreshim.sys;

/** ESRCH: the process (or pidfd) named no longer exists; callers report it as NotFound. */
public final class NoSuchProcessException extends SysException {
    public NoSuchProcessException(String call, String path) {
        super(call, Errno.ESRCH, path);
    }
}
