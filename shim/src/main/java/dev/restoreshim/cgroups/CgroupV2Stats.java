package dev.restoreshim.cgroups;

import dev.restoreshim.proto.cgroups.v2.CPUStat;
import dev.restoreshim.proto.cgroups.v2.HugeTlbStat;
import dev.restoreshim.proto.cgroups.v2.IOEntry;
import dev.restoreshim.proto.cgroups.v2.IOStat;
import dev.restoreshim.proto.cgroups.v2.MemoryEvents;
import dev.restoreshim.proto.cgroups.v2.MemoryStat;
import dev.restoreshim.proto.cgroups.v2.Metrics;
import dev.restoreshim.proto.cgroups.v2.PSIData;
import dev.restoreshim.proto.cgroups.v2.PSIStats;
import dev.restoreshim.proto.cgroups.v2.PidsStat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * Reads a cgroup v2 directory into {@code io.containerd.cgroups.v2.Metrics}, with the same sources
 * and units as containerd's runc shim: {@code cpu.stat} in microseconds, {@code memory.current} as
 * usage, {@code memory.max} as usage_limit ("max" is 2^64-1), {@code memory.peak} as max_usage,
 * {@code memory.events}, {@code io.stat}, {@code hugetlb.*} and the {@code *.pressure} files.
 */
final class CgroupV2Stats {
    private final CgroupFiles files;

    CgroupV2Stats(CgroupFiles files) {
        this.files = files;
    }

    Metrics read(ProcessCgroup.Unified cgroup) {
        String dir = cgroup.dir();
        Metrics.Builder metrics = Metrics.newBuilder();
        if (files.read(dir + "/pids.current").isPresent()) {
            PidsStat.Builder pids = PidsStat.newBuilder();
            value(dir + "/pids.current", pids::setCurrent);
            value(dir + "/pids.max", pids::setLimit);
            metrics.setPids(pids);
        }
        files.read(dir + "/cpu.stat").ifPresent(text -> {
            CPUStat.Builder cpu = CPUStat.newBuilder();
            MessageFields.fill(cpu, StatFile.flatKeyed(text), Map.of());
            pressure(dir + "/cpu.pressure").ifPresent(cpu::setPsi);
            metrics.setCpu(cpu);
        });
        files.read(dir + "/memory.stat").ifPresent(text -> metrics.setMemory(memory(dir, text)));
        files.read(dir + "/memory.events").ifPresent(text -> {
            MemoryEvents.Builder events = MemoryEvents.newBuilder();
            MessageFields.fill(events, StatFile.flatKeyed(text), Map.of());
            metrics.setMemoryEvents(events);
        });
        files.read(dir + "/io.stat").ifPresent(text -> {
            IOStat.Builder io = IOStat.newBuilder().addAllUsage(ioEntries(text));
            pressure(dir + "/io.pressure").ifPresent(io::setPsi);
            metrics.setIo(io);
        });
        metrics.addAllHugetlb(hugetlb(dir));
        return metrics.build();
    }

    private MemoryStat memory(String dir, String statText) {
        MemoryStat.Builder memory = MemoryStat.newBuilder();
        MessageFields.fill(memory, StatFile.flatKeyed(statText), Map.of());
        value(dir + "/memory.current", memory::setUsage);
        value(dir + "/memory.max", memory::setUsageLimit);
        value(dir + "/memory.swap.current", memory::setSwapUsage);
        value(dir + "/memory.swap.max", memory::setSwapLimit);
        value(dir + "/memory.peak", memory::setMaxUsage);
        value(dir + "/memory.swap.peak", memory::setSwapMaxUsage);
        pressure(dir + "/memory.pressure").ifPresent(memory::setPsi);
        return memory.build();
    }

    /** Lines {@code 8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0}. */
    private static List<IOEntry> ioEntries(String text) {
        List<IOEntry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] majMin = line.trim().split("\\s+", 2)[0].split(":");
            if (majMin.length != 2) {
                continue;
            }
            Map<String, String> values = StatFile.nestedKeyed(line);
            entries.add(IOEntry.newBuilder()
                    .setMajor(number(majMin[0])).setMinor(number(majMin[1]))
                    .setRbytes(number(values.get("rbytes"))).setWbytes(number(values.get("wbytes")))
                    .setRios(number(values.get("rios"))).setWios(number(values.get("wios")))
                    .build());
        }
        return entries;
    }

    /** hugetlb.&lt;size&gt;.current and .max, one entry per page size. */
    private List<HugeTlbStat> hugetlb(String dir) {
        List<HugeTlbStat> stats = new ArrayList<>();
        for (String name : files.list(dir)) {
            if (!name.startsWith("hugetlb.") || !name.endsWith(".current")) {
                continue;
            }
            String size = name.substring("hugetlb.".length(), name.length() - ".current".length());
            if (size.contains(".")) {
                continue;
            }
            HugeTlbStat.Builder stat = HugeTlbStat.newBuilder().setPagesize(size);
            value(dir + "/" + name, stat::setCurrent);
            value(dir + "/hugetlb." + size + ".max", stat::setMax);
            stats.add(stat.build());
        }
        return stats;
    }

    /** {@code some avg10=0.00 avg60=0.00 avg300=0.00 total=0} and the {@code full} line. */
    private Optional<PSIStats> pressure(String path) {
        return files.read(path).map(text -> {
            PSIStats.Builder psi = PSIStats.newBuilder();
            for (String line : text.split("\n")) {
                Map<String, String> values = StatFile.nestedKeyed(line);
                if (values.isEmpty()) {
                    continue;
                }
                PSIData data = PSIData.newBuilder()
                        .setAvg10(decimal(values.get("avg10"))).setAvg60(decimal(values.get("avg60")))
                        .setAvg300(decimal(values.get("avg300"))).setTotal(number(values.get("total")))
                        .build();
                if (line.startsWith("some")) {
                    psi.setSome(data);
                } else if (line.startsWith("full")) {
                    psi.setFull(data);
                }
            }
            return psi.build();
        });
    }

    private void value(String path, LongConsumer setter) {
        files.read(path).flatMap(text -> {
            OptionalLong v = StatFile.single(text);
            return v.isPresent() ? Optional.of(v.getAsLong()) : Optional.empty();
        }).ifPresent(setter::accept);
    }

    private static long number(String text) {
        return text == null ? 0 : StatFile.single(text).orElse(0);
    }

    private static double decimal(String text) {
        try {
            return text == null ? 0 : Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
