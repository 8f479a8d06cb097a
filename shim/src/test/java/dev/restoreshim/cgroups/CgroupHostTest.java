package dev.restoreshim.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Any;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against this machine's real cgroups: needs root, creates and removes its own cgroups. */
class CgroupHostTest {

    @BeforeEach
    void needsRoot() {
        assumeTrue(HostCgroup.usable(), "needs root and /sys/fs/cgroup to create cgroups");
    }

    @Test
    void read_sleepInNewCgroup_reportsPidsAndMemory() throws Exception {
        String name = "restoreshim-stats-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Process sleep = null;
        try (HostCgroup cgroup = new HostCgroup(name, "memory", "cpu", "cpuacct", "pids")) {
            try {
                sleep = cgroup.start("sleep", "30");
                Any any = CgroupMetrics.host().read((int) sleep.pid());
                if (cgroup.unified()) {
                    var m = dev.restoreshim.proto.cgroups.v2.Metrics.parseFrom(any.getValue());
                    assertEquals("io.containerd.cgroups.v2.Metrics", any.getTypeUrl());
                    assertTrue(m.getPids().getCurrent() >= 1, m.toString());
                    assertTrue(m.getMemory().getUsage() > 0, m.toString());
                } else {
                    var m = dev.restoreshim.proto.cgroups.v1.Metrics.parseFrom(any.getValue());
                    assertEquals("io.containerd.cgroups.v1.Metrics", any.getTypeUrl());
                    assertTrue(m.getPids().getCurrent() >= 1, m.toString());
                    assertTrue(m.getMemory().getUsage().getUsage() > 0, m.toString());
                    assertNotEquals(0, m.getMemory().getUsage().getLimit());
                    assertTrue(m.getCpu().getUsage().getPerCpuCount() > 0, m.toString());
                }
            } finally {
                stop(sleep);
            }
        }
        long pid = sleep.pid();
        ShimException gone = assertThrows(ShimException.class, () -> CgroupMetrics.host().read((int) pid));
        assertEquals(ErrorKind.NOT_FOUND, gone.kind());
    }

    @Test
    void watch_processOverMemoryLimit_reportsOomKill() throws Exception {
        String name = "restoreshim-oom-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Process anchor = null;
        Process hog = null;
        try (HostCgroup cgroup = new HostCgroup(name, "memory");
                OomWatcher watcher = new OomWatcher(CgroupFiles.host(), Duration.ZERO)) {
            try {
                cgroup.limitMemory(16L << 20);
                anchor = new ProcessBuilder("sleep", "30").start();
                cgroup.add(anchor.pid());
                CountDownLatch oom = new CountDownLatch(1);
                watcher.watch("oom-test", (int) anchor.pid(), oom::countDown);
                hog = cgroup.start("dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1");
                Process started = hog;
                assertTimeoutPreemptively(Duration.ofSeconds(20), () -> started.waitFor());
                assertEquals(137, hog.exitValue(), "dd should have been OOM-killed");
                watcher.check();
                assertTrue(oom.await(0, TimeUnit.SECONDS), "no OOM reported");
            } finally {
                stop(hog);
                stop(anchor);
            }
        }
    }

    private static void stop(Process process) throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
