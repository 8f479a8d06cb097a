package dev.restoreshim.sys;

/**
 * File metadata calls the JDK cannot make, none of which follows a symlink in the last path
 * component except {@link #chmod} (callers use it on non-symlinks only): device nodes, ownership,
 * full mode bits (setuid, setgid, sticky), extended attributes and nanosecond timestamps.
 * Implementation: {@link LinuxFileOps}; tests use recording fakes.
 */
public interface FileOps {
    /** File type bits of {@code st_mode}. */
    int S_IFCHR = 0020000;
    int S_IFBLK = 0060000;
    int S_IFIFO = 0010000;

    /** The value of {@link #utimes} that leaves a timestamp as it is. */
    long UTIME_OMIT = (1L << 30) - 2;

    /**
     * mknod(2): {@code mode} carries the type ({@link #S_IFCHR}) and permission bits; {@code dev}
     * is the encoded device number ({@link #makedev}).
     *
     * @throws SysException with call {@code mknod}
     */
    void mknod(String path, int mode, long dev);

    /** chmod(2) with all twelve permission bits. @throws SysException with call {@code chmod} */
    void chmod(String path, int mode);

    /** lchown(2). @throws SysException with call {@code lchown} */
    void lchown(String path, int uid, int gid);

    /**
     * lsetxattr(2) with flags 0 (create or replace).
     *
     * @throws SysException with call {@code lsetxattr} and {@code path name} as path
     */
    void lsetxattr(String path, String name, byte[] value);

    /** lgetxattr(2): the value, or null when the attribute is absent (ENODATA). */
    byte[] lgetxattr(String path, String name);

    /**
     * utimensat(2) with AT_SYMLINK_NOFOLLOW: access and modification times in nanoseconds since
     * the epoch, or {@link #UTIME_OMIT}.
     *
     * @throws SysException with call {@code utimensat}
     */
    void utimes(String path, long atimeNanos, long mtimeNanos);

    /** glibc's {@code makedev(major, minor)}. */
    static long makedev(int major, int minor) {
        long ma = major & 0xffffffffL;
        long mi = minor & 0xffffffffL;
        return ((ma & 0x00000fffL) << 8) | ((ma & 0xfffff000L) << 32) | (mi & 0x000000ffL) | ((mi & 0xffffff00L) << 12);
    }
}
