package dev.restoreshim.cgroups;

import dev.restoreshim.proto.cgroups.v1.BlkIOEntry;
import dev.restoreshim.proto.cgroups.v1.BlkIOStat;
import dev.restoreshim.proto.cgroups.v1.CPUStat;
import dev.restoreshim.proto.cgroups.v1.CPUUsage;
import dev.restoreshim.proto.cgroups.v1.HugetlbStat;
import dev.restoreshim.proto.cgroups.v1.MemoryEntry;
import dev.restoreshim.proto.cgroups.v1.MemoryOomControl;
import dev.restoreshim.proto.cgroups.v1.MemoryStat;
import dev.restoreshim.proto.cgroups.v1.Metrics;
import dev.restoreshim.proto.cgroups.v1.PidsStat;
import dev.restoreshim.proto.cgroups.v1.Throttle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Reads a cgroup v1 process's controllers into {@code io.containerd.cgroups.v1.Metrics}, with the
 * same sources and units as containerd's runc shim: cpuacct times in nanoseconds ({@code
 * cpuacct.stat} ticks of USER_HZ=100 converted), {@code pids.max} "max" as 0, blkio from the
 * {@code *_recursive} files or, when those are empty (no CFQ/BFQ accounting), the throttle ones.
 */
final class CgroupV1Stats {
    /** Nanoseconds per USER_HZ tick; USER_HZ is 100 on every Linux ABI the shim runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;
    private static final Map<String, String> MEMORY_STAT_RENAMES = memoryStatRenames();
    private static final Map<String, String> CPU_STAT_RENAMES = Map.of(
            "nr_periods", "periods", "nr_throttled", "throttled_periods", "throttled_time", "throttled_time");
    private static final List<String> BLKIO_FILES = List.of(
            "io_service_bytes_recursive", "io_serviced_recursive", "io_queued_recursive",
            "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive",
            "io_time_recursive", "sectors_recursive");

    private final CgroupFiles files;

    CgroupV1Stats(CgroupFiles files) {
        this.files = files;
    }

    Metrics read(ProcessCgroup.Legacy cgroup) {
        Metrics.Builder metrics = Metrics.newBuilder();
        cgroup.dir("pids").ifPresent(dir -> metrics.setPids(pids(dir)));
        if (cgroup.dirs().containsKey("cpuacct") || cgroup.dirs().containsKey("cpu")) {
            metrics.setCpu(cpu(cgroup));
        }
        cgroup.dir("memory").ifPresent(dir -> {
            metrics.setMemory(memory(dir));
            read(dir + "/memory.oom_control", text -> {
                MemoryOomControl.Builder oom = MemoryOomControl.newBuilder();
                MessageFields.fill(oom, StatFile.flatKeyed(text), Map.of());
                metrics.setMemoryOomControl(oom);
            });
        });
        cgroup.dir("blkio").ifPresent(dir -> metrics.setBlkio(blkio(dir)));
        cgroup.dir("hugetlb").ifPresent(dir -> metrics.addAllHugetlb(hugetlb(dir)));
        return metrics.build();
    }

    private PidsStat pids(String dir) {
        PidsStat.Builder pids = PidsStat.newBuilder();
        read(dir + "/pids.current", text -> StatFile.single(text).ifPresent(pids::setCurrent));
        read(dir + "/pids.max", text -> StatFile.single(text)
                .ifPresent(v -> pids.setLimit(v == StatFile.MAX ? 0 : v)));
        return pids.build();
    }

    private CPUStat cpu(ProcessCgroup.Legacy cgroup) {
        CPUUsage.Builder usage = CPUUsage.newBuilder();
        cgroup.dir("cpuacct").ifPresent(dir -> {
            read(dir + "/cpuacct.usage", text -> StatFile.single(text).ifPresent(usage::setTotal));
            read(dir + "/cpuacct.usage_percpu", text -> usage.addAllPerCpu(StatFile.list(text)));
            read(dir + "/cpuacct.stat", text -> {
                Map<String, Long> ticks = StatFile.flatKeyed(text);
                usage.setUser(ticks.getOrDefault("user", 0L) * NANOS_PER_TICK);
                usage.setKernel(ticks.getOrDefault("system", 0L) * NANOS_PER_TICK);
            });
        });
        Throttle.Builder throttling = Throttle.newBuilder();
        cgroup.dir("cpu").ifPresent(dir -> read(dir + "/cpu.stat",
                text -> MessageFields.fill(throttling, StatFile.flatKeyed(text), CPU_STAT_RENAMES)));
        return CPUStat.newBuilder().setUsage(usage).setThrottling(throttling).build();
    }

    private MemoryStat memory(String dir) {
        MemoryStat.Builder memory = MemoryStat.newBuilder();
        read(dir + "/memory.stat", text -> MessageFields.fill(memory, StatFile.flatKeyed(text), MEMORY_STAT_RENAMES));
        memory.setUsage(memoryEntry(dir + "/memory."));
        if (files.read(dir + "/memory.memsw.usage_in_bytes").isPresent()) {
            memory.setSwap(memoryEntry(dir + "/memory.memsw."));
        }
        memory.setKernel(memoryEntry(dir + "/memory.kmem."));
        memory.setKernelTcp(memoryEntry(dir + "/memory.kmem.tcp."));
        return memory.build();
    }

    private MemoryEntry memoryEntry(String prefix) {
        MemoryEntry.Builder entry = MemoryEntry.newBuilder();
        read(prefix + "usage_in_bytes", text -> StatFile.single(text).ifPresent(entry::setUsage));
        read(prefix + "limit_in_bytes", text -> StatFile.single(text).ifPresent(entry::setLimit));
        read(prefix + "max_usage_in_bytes", text -> StatFile.single(text).ifPresent(entry::setMax));
        read(prefix + "failcnt", text -> StatFile.single(text).ifPresent(entry::setFailcnt));
        return entry.build();
    }

    private BlkIOStat blkio(String dir) {
        Map<String, String> devices = new HashMap<>();
        List<List<BlkIOEntry>> recursive = BLKIO_FILES.stream()
                .map(name -> blkioEntries(dir + "/blkio." + name, devices)).toList();
        BlkIOStat.Builder blkio = BlkIOStat.newBuilder();
        if (recursive.stream().allMatch(List::isEmpty)) {
            blkio.addAllIoServiceBytesRecursive(
                    blkioEntries(dir + "/blkio.throttle.io_service_bytes_recursive", devices));
            blkio.addAllIoServicedRecursive(blkioEntries(dir + "/blkio.throttle.io_serviced_recursive", devices));
            return blkio.build();
        }
        blkio.addAllIoServiceBytesRecursive(recursive.get(0)).addAllIoServicedRecursive(recursive.get(1))
                .addAllIoQueuedRecursive(recursive.get(2)).addAllIoServiceTimeRecursive(recursive.get(3))
                .addAllIoWaitTimeRecursive(recursive.get(4)).addAllIoMergedRecursive(recursive.get(5))
                .addAllIoTimeRecursive(recursive.get(6)).addAllSectorsRecursive(recursive.get(7));
        return blkio.build();
    }

    /** Lines {@code 8:0 Read 4096} or {@code 8:0 4096}; the {@code Total} line is skipped. */
    private List<BlkIOEntry> blkioEntries(String path, Map<String, String> devices) {
        List<BlkIOEntry> entries = new ArrayList<>();
        for (String line : files.read(path).orElse("").split("\n")) {
            String[] f = line.trim().split("\\s+");
            String[] majMin = f[0].split(":");
            if ((f.length != 2 && f.length != 3) || majMin.length != 2) {
                continue;
            }
            OptionalLong value = StatFile.single(f[f.length - 1]);
            OptionalLong major = StatFile.single(majMin[0]);
            OptionalLong minor = StatFile.single(majMin[1]);
            if (value.isPresent() && major.isPresent() && minor.isPresent()) {
                entries.add(BlkIOEntry.newBuilder()
                        .setOp(f.length == 3 ? f[1] : "")
                        .setDevice(devices.computeIfAbsent(f[0], this::deviceName))
                        .setMajor(major.getAsLong()).setMinor(minor.getAsLong())
                        .setValue(value.getAsLong()).build());
            }
        }
        return entries;
    }

    /** {@code /dev/<DEVNAME>} from {@code /sys/dev/block/M:m/uevent}, or "" when unknown. */
    private String deviceName(String majorMinor) {
        return files.read("/sys/dev/block/" + majorMinor + "/uevent").flatMap(text -> text.lines()
                .filter(l -> l.startsWith("DEVNAME=")).findFirst())
                .map(l -> "/dev/" + l.substring("DEVNAME=".length())).orElse("");
    }

    /** hugetlb.&lt;size&gt;.usage_in_bytes and its siblings, one entry per page size. */
    private List<HugetlbStat> hugetlb(String dir) {
        return files.list(dir).stream()
                .filter(name -> name.startsWith("hugetlb.") && name.endsWith(".usage_in_bytes"))
                .map(name -> name.substring("hugetlb.".length(), name.length() - ".usage_in_bytes".length()))
                .filter(size -> !size.contains("."))
                .map(size -> {
                    HugetlbStat.Builder stat = HugetlbStat.newBuilder().setPagesize(size);
                    String prefix = dir + "/hugetlb." + size + ".";
                    read(prefix + "usage_in_bytes", t -> StatFile.single(t).ifPresent(stat::setUsage));
                    read(prefix + "max_usage_in_bytes", t -> StatFile.single(t).ifPresent(stat::setMax));
                    read(prefix + "failcnt", t -> StatFile.single(t).ifPresent(stat::setFailcnt));
                    return stat.build();
                }).toList();
    }

    private void read(String path, Consumer<String> action) {
        files.read(path).ifPresent(action);
    }

    private static Map<String, String> memoryStatRenames() {
        Map<String, String> renames = new HashMap<>(Map.of(
                "pgpgin", "pg_pg_in", "pgpgout", "pg_pg_out", "pgfault", "pg_fault",
                "pgmajfault", "pg_maj_fault", "hierarchical_memsw_limit", "hierarchical_swap_limit"));
        for (Map.Entry<String, String> e : Map.copyOf(renames).entrySet()) {
            if (!e.getKey().startsWith("hierarchical")) {
                renames.put("total_" + e.getKey(), "total_" + e.getValue());
            }
        }
        return Map.copyOf(renames);
    }
}
