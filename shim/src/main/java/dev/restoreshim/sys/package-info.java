/**
 * The only code in the shim that calls native functions (FFM, {@code java.lang.foreign}).
 *
 * <p>A package-private holder links every libc downcall once, capturing errno right after the
 * call; failures become {@link dev.restoreshim.sys.SysException} (call, errno name, path). The
 * rest of the shim sees small interfaces with {@code Linux*} implementations, so that logic above
 * is unit-tested with recording fakes: {@link dev.restoreshim.sys.Mounts},
 * {@link dev.restoreshim.sys.Signals}, {@link dev.restoreshim.sys.ProcessControl},
 * {@link dev.restoreshim.sys.Fds}, {@link dev.restoreshim.sys.FileOps} (mknod, chmod, lchown,
 * xattrs, utimensat), {@link dev.restoreshim.sys.FsMounts} (the new mount API: fsopen, fsconfig,
 * fsmount, move_mount), {@link dev.restoreshim.sys.ProcessLauncher} (posix_spawn with an
 * explicit fd map) and {@link dev.restoreshim.sys.Reaper} (pidfd + one epoll thread; never
 * {@code waitpid(-1)}). {@link dev.restoreshim.sys.ConsoleSocket} receives runc's pty master.
 * The JVM needs {@code --enable-native-access=ALL-UNNAMED}.
 */
package dev.restoreshim.sys;
