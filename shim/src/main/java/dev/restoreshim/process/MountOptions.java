package dev.restoreshim.process;

import dev.restoreshim.sys.Mounts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * containerd mount options split into mount(2) flags, a propagation change and the data string
 * (whatever is not a flag, such as {@code lowerdir=...}). A read-only bind needs a second
 * remount call, which {@link #remountReadOnly()} says.
 */
record MountOptions(long flags, long propagation, String data, boolean remountReadOnly) {
    private static final Map<String, Long> SET = Map.ofEntries(
            Map.entry("ro", Mounts.MS_RDONLY), Map.entry("nosuid", Mounts.MS_NOSUID),
            Map.entry("nodev", Mounts.MS_NODEV), Map.entry("noexec", Mounts.MS_NOEXEC),
            Map.entry("sync", Mounts.MS_SYNCHRONOUS), Map.entry("dirsync", Mounts.MS_DIRSYNC),
            Map.entry("remount", Mounts.MS_REMOUNT), Map.entry("mand", Mounts.MS_MANDLOCK),
            Map.entry("noatime", Mounts.MS_NOATIME), Map.entry("nodiratime", Mounts.MS_NODIRATIME),
            Map.entry("bind", Mounts.MS_BIND), Map.entry("rbind", Mounts.MS_BIND | Mounts.MS_REC),
            Map.entry("relatime", Mounts.MS_RELATIME), Map.entry("strictatime", Mounts.MS_STRICTATIME));
    private static final Map<String, Long> CLEAR = Map.of("rw", Mounts.MS_RDONLY, "suid", Mounts.MS_NOSUID,
            "dev", Mounts.MS_NODEV, "exec", Mounts.MS_NOEXEC, "async", Mounts.MS_SYNCHRONOUS,
            "atime", Mounts.MS_NOATIME, "diratime", Mounts.MS_NODIRATIME, "norelatime", Mounts.MS_RELATIME);
    private static final Map<String, Long> PROPAGATION = Map.of(
            "private", Mounts.MS_PRIVATE, "rprivate", Mounts.MS_PRIVATE | Mounts.MS_REC,
            "shared", Mounts.MS_SHARED, "rshared", Mounts.MS_SHARED | Mounts.MS_REC,
            "slave", Mounts.MS_SLAVE, "rslave", Mounts.MS_SLAVE | Mounts.MS_REC,
            "unbindable", Mounts.MS_UNBINDABLE, "runbindable", Mounts.MS_UNBINDABLE | Mounts.MS_REC);

    static MountOptions parse(List<String> options) {
        long flags = 0;
        long propagation = 0;
        List<String> data = new ArrayList<>();
        for (String o : options) {
            if (SET.containsKey(o)) {
                flags |= SET.get(o);
            } else if (CLEAR.containsKey(o)) {
                flags &= ~CLEAR.get(o);
            } else if (PROPAGATION.containsKey(o)) {
                propagation |= PROPAGATION.get(o);
            } else if (!o.isEmpty() && !o.equals("defaults")) {
                data.add(o);
            }
        }
        boolean bind = (flags & Mounts.MS_BIND) != 0;
        boolean ro = (flags & Mounts.MS_RDONLY) != 0;
        return new MountOptions(flags, propagation, String.join(",", data), bind && ro);
    }
}
