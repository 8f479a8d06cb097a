package dev.restoreshim.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.proto.cgroups.v1.BlkIOEntry;
import dev.restoreshim.proto.cgroups.v1.Metrics;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupMetricsV1Test {
    private static final String CG = "/kubepods/pod1/c1";

    @TempDir
    Path root;
    private FakeCgroupTree tree;

    @BeforeEach
    void hybridHost() {
        tree = new FakeCgroupTree(root)
                .write("/proc/self/mountinfo", FakeCgroupTree.HYBRID_MOUNTINFO)
                .write("/proc/42/cgroup", """
                        9:name=systemd:/kubepods/pod1/c1
                        8:pids:/kubepods/pod1/c1
                        7:blkio:/kubepods/pod1/c1
                        4:memory:/kubepods/pod1/c1
                        2:cpuacct:/kubepods/pod1/c1
                        1:cpu:/kubepods/pod1/c1
                        0::/
                        """)
                .write("/sys/fs/cgroup/pids" + CG + "/pids.current", "3\n")
                .write("/sys/fs/cgroup/pids" + CG + "/pids.max", "max\n")
                .write("/sys/fs/cgroup/cpuacct" + CG + "/cpuacct.usage", "123456789\n")
                .write("/sys/fs/cgroup/cpuacct" + CG + "/cpuacct.usage_percpu", "100000000 23456789 \n")
                .write("/sys/fs/cgroup/cpuacct" + CG + "/cpuacct.stat", "user 7\nsystem 3\n")
                .write("/sys/fs/cgroup/cpu" + CG + "/cpu.stat",
                        "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\nnr_bursts 0\nburst_time 0\n")
                .write("/sys/fs/cgroup/memory" + CG + "/memory.stat", """
                        cache 4096
                        rss 8192
                        rss_huge 0
                        shmem 0
                        mapped_file 1024
                        swap 0
                        pgpgin 11
                        pgpgout 12
                        pgfault 13
                        pgmajfault 14
                        inactive_file 2048
                        hierarchical_memory_limit 9223372036854771712
                        hierarchical_memsw_limit 9223372036854771712
                        total_cache 40960
                        total_rss 81920
                        total_pgfault 130
                        total_pgmajfault 140
                        total_inactive_file 20480
                        total_unevictable 5
                        """)
                .write("/sys/fs/cgroup/memory" + CG + "/memory.usage_in_bytes", "131072\n")
                .write("/sys/fs/cgroup/memory" + CG + "/memory.limit_in_bytes", "268435456\n")
                .write("/sys/fs/cgroup/memory" + CG + "/memory.max_usage_in_bytes", "200000\n")
                .write("/sys/fs/cgroup/memory" + CG + "/memory.failcnt", "4\n")
                .write("/sys/fs/cgroup/memory" + CG + "/memory.memsw.usage_in_bytes", "131072\n")
                .write("/sys/fs/cgroup/memory" + CG + "/memory.kmem.usage_in_bytes", "777\n")
                .write("/sys/fs/cgroup/memory" + CG + "/memory.oom_control",
                        "oom_kill_disable 0\nunder_oom 1\noom_kill 2\n")
                .write("/sys/fs/cgroup/blkio" + CG + "/blkio.throttle.io_service_bytes_recursive",
                        "253:0 Read 4096\n253:0 Write 8192\n253:0 Total 12288\nTotal 12288\n")
                .write("/sys/fs/cgroup/blkio" + CG + "/blkio.throttle.io_serviced_recursive",
                        "253:0 Read 1\n253:0 Write 2\n")
                .write("/sys/dev/block/253:0/uevent", "MAJOR=253\nMINOR=0\nDEVNAME=zram0\n");
    }

    @Test
    void read_hybridHost_packsV1MetricsWithBareTypeUrl() {
        Any any = new CgroupMetrics(tree.files()).read(42);
        assertEquals("io.containerd.cgroups.v1.Metrics", any.getTypeUrl());
    }

    @Test
    void read_pidsAndCpu_parsedIntoFields() throws Exception {
        Metrics m = metrics(42);
        assertEquals(3, m.getPids().getCurrent());
        assertEquals(0, m.getPids().getLimit(), "pids.max 'max' reads as 0 in v1");
        assertEquals(123456789, m.getCpu().getUsage().getTotal());
        assertEquals(List.of(100000000L, 23456789L), m.getCpu().getUsage().getPerCpuList());
        assertEquals(70_000_000, m.getCpu().getUsage().getUser(), "7 ticks of USER_HZ=100");
        assertEquals(30_000_000, m.getCpu().getUsage().getKernel());
        assertEquals(10, m.getCpu().getThrottling().getPeriods());
        assertEquals(2, m.getCpu().getThrottling().getThrottledPeriods());
        assertEquals(5000, m.getCpu().getThrottling().getThrottledTime());
    }

    @Test
    void read_memory_parsedIntoFields() throws Exception {
        var mem = metrics(42).getMemory();
        assertEquals(4096, mem.getCache());
        assertEquals(8192, mem.getRss());
        assertEquals(1024, mem.getMappedFile());
        assertEquals(11, mem.getPgPgIn());
        assertEquals(12, mem.getPgPgOut());
        assertEquals(13, mem.getPgFault());
        assertEquals(14, mem.getPgMajFault());
        assertEquals(2048, mem.getInactiveFile());
        assertEquals(9223372036854771712L, mem.getHierarchicalMemoryLimit());
        assertEquals(9223372036854771712L, mem.getHierarchicalSwapLimit());
        assertEquals(81920, mem.getTotalRss());
        assertEquals(130, mem.getTotalPgFault());
        assertEquals(140, mem.getTotalPgMajFault());
        assertEquals(20480, mem.getTotalInactiveFile());
        assertEquals(5, mem.getTotalUnevictable());
        assertEquals(131072, mem.getUsage().getUsage());
        assertEquals(268435456, mem.getUsage().getLimit());
        assertEquals(200000, mem.getUsage().getMax());
        assertEquals(4, mem.getUsage().getFailcnt());
        assertTrue(mem.hasSwap());
        assertEquals(131072, mem.getSwap().getUsage());
        assertEquals(777, mem.getKernel().getUsage());
        var oom = metrics(42).getMemoryOomControl();
        assertEquals(1, oom.getUnderOom());
        assertEquals(2, oom.getOomKill());
    }

    @Test
    void read_blkioWithoutRecursiveFiles_usesThrottleFilesAndNamesDevice() throws Exception {
        var blkio = metrics(42).getBlkio();
        assertEquals(3, blkio.getIoServiceBytesRecursiveCount(), "the bare Total line is skipped");
        BlkIOEntry read = blkio.getIoServiceBytesRecursive(0);
        assertEquals("Read", read.getOp());
        assertEquals(253, read.getMajor());
        assertEquals(0, read.getMinor());
        assertEquals(4096, read.getValue());
        assertEquals("/dev/zram0", read.getDevice());
        assertEquals(2, blkio.getIoServicedRecursive(1).getValue());
    }

    @Test
    void read_coMountedCpuCpuacct_readsBothFromOneDirectory() throws Exception {
        tree.write("/proc/self/mountinfo", """
                32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
                35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
                """)
                .write("/proc/43/cgroup", "3:cpu,cpuacct:/c2\n2:memory:/c2\n")
                .write("/sys/fs/cgroup/cpu,cpuacct/c2/cpuacct.usage", "99\n")
                .write("/sys/fs/cgroup/cpu,cpuacct/c2/cpu.stat", "nr_periods 5\n")
                .write("/sys/fs/cgroup/memory/c2/memory.usage_in_bytes", "1\n");
        Metrics m = metrics(43);
        assertEquals(99, m.getCpu().getUsage().getTotal());
        assertEquals(5, m.getCpu().getThrottling().getPeriods());
        assertFalse(m.hasPids());
        assertFalse(m.getMemory().hasSwap(), "no memsw files, no swap entry");
    }

    @Test
    void read_mountRootIsSubtree_pathIsRelativeToIt() throws Exception {
        tree.write("/proc/self/mountinfo",
                        "35 31 0:32 /kubepods /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")
                .write("/proc/44/cgroup", "4:memory:/kubepods/c3\n")
                .write("/sys/fs/cgroup/memory/c3/memory.usage_in_bytes", "555\n");
        assertEquals(555, metrics(44).getMemory().getUsage().getUsage());
    }

    @Test
    void read_mountPointWithEscapedSpace_isUnescaped() throws Exception {
        tree.write("/proc/self/mountinfo",
                        "35 31 0:32 / /cg\\040root/memory rw - cgroup cgroup rw,memory\n")
                .write("/proc/45/cgroup", "4:memory:/c4\n")
                .write("/cg root/memory/c4/memory.usage_in_bytes", "666\n");
        assertEquals(666, metrics(45).getMemory().getUsage().getUsage());
    }

    @Test
    void read_goneProcess_isNotFound() {
        ShimException e = assertThrows(ShimException.class, () -> new CgroupMetrics(tree.files()).read(99));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("99"), e.getMessage());
    }

    @Test
    void read_noMountedCgroup_isFailedPrecondition() {
        tree.write("/proc/self/mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
        ShimException e = assertThrows(ShimException.class, () -> new CgroupMetrics(tree.files()).read(42));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    }

    @Test
    void read_cgroupRemovedMidway_returnsWhatIsLeft() throws Exception {
        tree.delete("/sys/fs/cgroup/memory" + CG + "/memory.stat")
                .delete("/sys/fs/cgroup/pids" + CG + "/pids.current");
        Metrics m = metrics(42);
        assertEquals(0, m.getPids().getCurrent());
        assertEquals(131072, m.getMemory().getUsage().getUsage());
    }

    private Metrics metrics(int pid) throws InvalidProtocolBufferException {
        Any any = new CgroupMetrics(tree.files()).read(pid);
        assertEquals("io.containerd.cgroups.v1.Metrics", any.getTypeUrl());
        return Metrics.parseFrom(any.getValue());
    }
}
