/**
 * Container statistics and OOM detection from the cgroup filesystem: what the Task API
 * {@code Stats} RPC returns (an {@code Any} holding {@code io.containerd.cgroups.v1.Metrics} or
 * {@code io.containerd.cgroups.v2.Metrics}, as containerd's runc shim does) and when the shim
 * publishes {@code /tasks/oom}.
 *
 * <p>All reads go through {@link dev.restoreshim.cgroups.CgroupFiles}, rooted at a configurable
 * path, so tests run on a fake cgroup tree in a temporary directory. Layouts handled: cgroup v1
 * (one mount per controller or co-mounted controllers), cgroup v2 (unified), and the hybrid layout
 * (v1 controllers plus cgroup2 at {@code /sys/fs/cgroup/unified}), which is treated as v1 exactly
 * as containerd does.
 */
package dev.restoreshim.cgroups;
