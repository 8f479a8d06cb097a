package dev.restoreshim.sys;

/**
 * A failed system call: the call, the errno (name and value) and, where there is one, the path
 * or object it was about. The message reads {@code mount /a/rootfs: EPERM}.
 */
public class SysException extends RuntimeException {
    private final String call;
    private final String errnoName;
    private final int errno;
    private final String path;

    public SysException(String call, int errno, String path) {
        super(call + (path == null || path.isEmpty() ? "" : " " + path) + ": " + Errno.name(errno));
        this.call = call;
        this.errno = errno;
        this.errnoName = Errno.name(errno);
        this.path = path == null ? "" : path;
    }

    /** The failing call, for example {@code mount}. */
    public String call() {
        return call;
    }

    /** The symbolic errno, for example {@code EPERM}. */
    public String errnoName() {
        return errnoName;
    }

    /** The numeric errno. */
    public int errno() {
        return errno;
    }

    /** The path or object the call was about; empty when none. */
    public String path() {
        return path;
    }

    /** The exception for a failed call: ESRCH becomes {@link NoSuchProcessException}. */
    public static SysException of(String call, int errno, String path) {
        return errno == Errno.ESRCH ? new NoSuchProcessException(call, path) : new SysException(call, errno, path);
    }
}
