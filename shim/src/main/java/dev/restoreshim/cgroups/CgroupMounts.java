package dev.restoreshim.cgroups;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The cgroup mounts listed in {@code /proc/self/mountinfo}: for v1 each mount carries its
 * controllers in the super options ({@code rw,cpu,cpuacct}); v2 has one {@code cgroup2} mount.
 */
record CgroupMounts(List<Mount> mounts) {

    /** One cgroup mount: the cgroup path mounted ({@code root}) and where ({@code mountPoint}). */
    record Mount(String root, String mountPoint, boolean unified, Set<String> controllers) {
    }

    CgroupMounts {
        mounts = List.copyOf(mounts);
    }

    static CgroupMounts parse(String mountinfo) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] left = line.substring(0, dash).split(" ");
            String[] right = line.substring(dash + 3).split(" ");
            if (left.length < 5 || right.length < 3) {
                continue;
            }
            String fsType = right[0];
            if (fsType.equals("cgroup2")) {
                mounts.add(new Mount(unescape(left[3]), unescape(left[4]), true, Set.of()));
            } else if (fsType.equals("cgroup")) {
                Set<String> controllers = Arrays.stream(right[2].split(","))
                        .filter(o -> !o.equals("rw") && !o.equals("ro") && !o.contains("="))
                        .collect(Collectors.toUnmodifiableSet());
                mounts.add(new Mount(unescape(left[3]), unescape(left[4]), false, controllers));
            }
        }
        return new CgroupMounts(mounts);
    }

    /** The v1 mount that holds {@code controller}, if any. */
    Optional<Mount> v1(String controller) {
        return mounts.stream().filter(m -> !m.unified() && m.controllers().contains(controller)).findFirst();
    }

    /** The cgroup2 mount, if any (on a hybrid host, {@code /sys/fs/cgroup/unified}). */
    Optional<Mount> unified() {
        return mounts.stream().filter(Mount::unified).findFirst();
    }

    /** The directory of cgroup {@code path} (as in /proc/pid/cgroup) below {@code mount}. */
    static String directory(Mount mount, String path) {
        String relative = path;
        if (!mount.root().equals("/") && (path.equals(mount.root()) || path.startsWith(mount.root() + "/"))) {
            relative = path.substring(mount.root().length());
        }
        String base = mount.mountPoint().endsWith("/")
                ? mount.mountPoint().substring(0, mount.mountPoint().length() - 1) : mount.mountPoint();
        if (relative.isEmpty() || relative.equals("/")) {
            return base;
        }
        return base + (relative.startsWith("/") ? relative : "/" + relative);
    }

    /** mountinfo escapes space, tab, newline and backslash as three octal digits. */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()
                    && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
