package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.SysException;
import java.nio.file.Path;
import java.util.List;

/**
 * Mounts a task's rootfs mounts onto {@code <bundle>/rootfs} in order; each successful mount
 * pushes its own detach-unmount onto the cleanup stack at once, so a failure in mount {@code n}
 * leaves exactly mounts {@code 0..n-1} to undo, newest first.
 */
final class RootfsMounts {
    private RootfsMounts() {
    }

    static void mountAll(Mounts mounts, String id, Path rootfs, List<MountSpec> specs, CleanupStack cleanup) {
        for (int i = 0; i < specs.size(); i++) {
            MountSpec m = specs.get(i);
            Path target = m.target().isEmpty() ? rootfs : rootfs.resolve(m.target().replaceFirst("^/+", ""));
            MountOptions o = MountOptions.parse(m.options());
            String type = (o.flags() & Mounts.MS_BIND) != 0 ? null : m.type();
            String t = target.toString();
            try {
                long first = o.remountReadOnly() ? o.flags() & ~Mounts.MS_RDONLY : o.flags();
                mounts.mount(m.source(), t, type, first, o.data());
                cleanup.push("unmount " + t, () -> mounts.unmount(t, Mounts.MNT_DETACH));
                if (o.remountReadOnly()) {
                    mounts.mount("", t, null, Mounts.MS_REMOUNT | Mounts.MS_BIND | Mounts.MS_RDONLY | (o.flags() & Mounts.MS_REC), null);
                }
                if (o.propagation() != 0) {
                    mounts.mount("", t, null, o.propagation(), null);
                }
            } catch (SysException e) {
                throw ShimException.internal("create task \"" + id + "\": rootfs mount " + i + " (" + m.type() + " "
                        + m.source() + " on " + t + "): " + e.errnoName(), e);
            }
        }
    }
}
