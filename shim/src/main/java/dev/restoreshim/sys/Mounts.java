package dev.restoreshim.sys;

/** mount(2) and umount2(2). Implementations: {@link LinuxMounts}; tests use recording fakes. */
public interface Mounts {
    long MS_RDONLY = 1;
    long MS_NOSUID = 2;
    long MS_NODEV = 4;
    long MS_NOEXEC = 8;
    long MS_SYNCHRONOUS = 16;
    long MS_REMOUNT = 32;
    long MS_MANDLOCK = 64;
    long MS_DIRSYNC = 128;
    long MS_NOATIME = 1024;
    long MS_NODIRATIME = 2048;
    long MS_BIND = 4096;
    long MS_MOVE = 8192;
    long MS_REC = 16384;
    long MS_SILENT = 32768;
    long MS_UNBINDABLE = 1 << 17;
    long MS_PRIVATE = 1 << 18;
    long MS_SLAVE = 1 << 19;
    long MS_SHARED = 1 << 20;
    long MS_RELATIME = 1 << 21;
    long MS_STRICTATIME = 1 << 24;

    int MNT_FORCE = 1;
    int MNT_DETACH = 2;

    /**
     * mount(2). {@code source}, {@code fstype} and {@code data} may be null or empty.
     *
     * @throws SysException with call {@code mount} and the target as path
     */
    void mount(String source, String target, String fstype, long flags, String data);

    /**
     * umount2(2) with flags such as {@link #MNT_DETACH}.
     *
     * @throws SysException with call {@code umount2} and the target as path
     */
    void unmount(String target, int flags);
}
