package dev.restoreshim.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import dev.restoreshim.proto.cgroups.v2.Metrics;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupMetricsV2Test {
    private static final String DIR = "/sys/fs/cgroup/kubepods.slice/cri-c1.scope";

    @TempDir
    Path root;
    private FakeCgroupTree tree;

    @BeforeEach
    void unifiedHost() {
        tree = new FakeCgroupTree(root)
                .write("/proc/self/mountinfo", FakeCgroupTree.UNIFIED_MOUNTINFO)
                .write("/proc/42/cgroup", "0::/kubepods.slice/cri-c1.scope\n")
                .write(DIR + "/pids.current", "4\n")
                .write(DIR + "/pids.max", "max\n")
                .write(DIR + "/cpu.stat", """
                        usage_usec 1500
                        user_usec 1000
                        system_usec 500
                        nr_periods 7
                        nr_throttled 1
                        throttled_usec 30
                        nr_bursts 2
                        burst_usec 9
                        """)
                .write(DIR + "/cpu.pressure",
                        "some avg10=1.50 avg60=0.25 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=5\n")
                .write(DIR + "/memory.stat", """
                        anon 8192
                        file 4096
                        kernel 100
                        kernel_stack 16384
                        inactive_file 1024
                        active_file 3072
                        pgfault 21
                        pgmajfault 2
                        workingset_refault_file 3
                        """)
                .write(DIR + "/memory.current", "20480\n")
                .write(DIR + "/memory.max", "max\n")
                .write(DIR + "/memory.swap.current", "0\n")
                .write(DIR + "/memory.swap.max", "0\n")
                .write(DIR + "/memory.peak", "40960\n")
                .write(DIR + "/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n")
                .write(DIR + "/io.stat", "8:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n")
                .write(DIR + "/hugetlb.2MB.current", "0\n")
                .write(DIR + "/hugetlb.2MB.max", "max\n")
                .write(DIR + "/hugetlb.2MB.events", "max 0\n");
    }

    @Test
    void read_unifiedHost_packsV2MetricsWithBareTypeUrl() {
        Any any = new CgroupMetrics(tree.files()).read(42);
        assertEquals("io.containerd.cgroups.v2.Metrics", any.getTypeUrl());
    }

    @Test
    void read_pidsCpuAndPressure_parsedIntoFields() throws Exception {
        Metrics m = metrics();
        assertEquals(4, m.getPids().getCurrent());
        assertEquals(-1L, m.getPids().getLimit(), "'max' reads as 2^64-1");
        assertEquals(1500, m.getCpu().getUsageUsec());
        assertEquals(1000, m.getCpu().getUserUsec());
        assertEquals(500, m.getCpu().getSystemUsec());
        assertEquals(7, m.getCpu().getNrPeriods());
        assertEquals(1, m.getCpu().getNrThrottled());
        assertEquals(30, m.getCpu().getThrottledUsec());
        assertEquals(2, m.getCpu().getNrBursts());
        assertEquals(9, m.getCpu().getBurstUsec());
        assertEquals(1.5, m.getCpu().getPsi().getSome().getAvg10());
        assertEquals(1234, m.getCpu().getPsi().getSome().getTotal());
        assertEquals(5, m.getCpu().getPsi().getFull().getTotal());
    }

    @Test
    void read_memoryAndEvents_parsedIntoFields() throws Exception {
        Metrics m = metrics();
        var mem = m.getMemory();
        assertEquals(8192, mem.getAnon());
        assertEquals(4096, mem.getFile());
        assertEquals(16384, mem.getKernelStack());
        assertEquals(1024, mem.getInactiveFile());
        assertEquals(3072, mem.getActiveFile());
        assertEquals(21, mem.getPgfault());
        assertEquals(2, mem.getPgmajfault());
        assertEquals(20480, mem.getUsage());
        assertEquals(-1L, mem.getUsageLimit(), "memory.max 'max' is 2^64-1, unlimited for CRI");
        assertEquals(40960, mem.getMaxUsage());
        assertEquals(3, m.getMemoryEvents().getMax());
        assertEquals(2, m.getMemoryEvents().getOom());
        assertEquals(1, m.getMemoryEvents().getOomKill());
    }

    @Test
    void read_ioAndHugetlb_parsedIntoFields() throws Exception {
        Metrics m = metrics();
        var io = m.getIo().getUsage(0);
        assertEquals(8, io.getMajor());
        assertEquals(0, io.getMinor());
        assertEquals(100, io.getRbytes());
        assertEquals(200, io.getWbytes());
        assertEquals(3, io.getRios());
        assertEquals(4, io.getWios());
        assertEquals(1, m.getHugetlbCount());
        assertEquals("2MB", m.getHugetlb(0).getPagesize());
        assertEquals(-1L, m.getHugetlb(0).getMax());
    }

    @Test
    void read_hybridProcessWithOnlyUnifiedLine_readsV2FromUnifiedMount() throws Exception {
        tree.write("/proc/self/mountinfo", FakeCgroupTree.HYBRID_MOUNTINFO)
                .write("/proc/43/cgroup", "0::/c9\n")
                .write("/sys/fs/cgroup/unified/c9/cpu.stat", "usage_usec 77\n");
        Any any = new CgroupMetrics(tree.files()).read(43);
        assertEquals("io.containerd.cgroups.v2.Metrics", any.getTypeUrl());
        assertEquals(77, Metrics.parseFrom(any.getValue()).getCpu().getUsageUsec());
    }

    private Metrics metrics() throws Exception {
        return Metrics.parseFrom(new CgroupMetrics(tree.files()).read(42).getValue());
    }
}
