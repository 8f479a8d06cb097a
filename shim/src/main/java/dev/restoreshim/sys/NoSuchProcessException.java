package dev.restoreshim.sys;

/** ESRCH: the process (or pidfd) named no longer exists; callers report it as NotFound. */
public final class NoSuchProcessException extends SysException {
    /** ESRCH from {@code call} about {@code path} (e.g. {@code pid 42}). */
    public NoSuchProcessException(String call, String path) {
        super(call, Errno.ESRCH, path);
    }
}
