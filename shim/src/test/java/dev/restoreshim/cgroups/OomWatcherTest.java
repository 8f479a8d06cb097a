package dev.restoreshim.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OomWatcherTest {
    private static final String V1_FILE = "/sys/fs/cgroup/memory/c1/memory.oom_control";
    private static final String V2_FILE = "/sys/fs/cgroup/c2/memory.events";

    @TempDir
    Path root;

    private FakeCgroupTree v1Tree(long oomKills) {
        return new FakeCgroupTree(root)
                .write("/proc/self/mountinfo", FakeCgroupTree.HYBRID_MOUNTINFO)
                .write("/proc/42/cgroup", "4:memory:/c1\n0::/\n")
                .write(V1_FILE, "oom_kill_disable 0\nunder_oom 0\noom_kill " + oomKills + "\n");
    }

    @Test
    void check_v1CounterRises_callsBackOncePerRise() throws Exception {
        FakeCgroupTree tree = v1Tree(2);
        AtomicInteger calls = new AtomicInteger();
        try (OomWatcher watcher = new OomWatcher(tree.files(), Duration.ZERO)) {
            watcher.watch("c1", 42, calls::incrementAndGet);
            watcher.check();
            assertEquals(0, calls.get(), "kills before watch() are not reported");
            tree.write(V1_FILE, "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
            watcher.check();
            watcher.check();
            assertEquals(1, calls.get());
            tree.write(V1_FILE, "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
            watcher.check();
            assertEquals(2, calls.get());
        }
    }

    @Test
    void check_v2MemoryEvents_callsBack() {
        FakeCgroupTree tree = new FakeCgroupTree(root)
                .write("/proc/self/mountinfo", FakeCgroupTree.UNIFIED_MOUNTINFO)
                .write("/proc/7/cgroup", "0::/c2\n")
                .write(V2_FILE, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
        AtomicInteger calls = new AtomicInteger();
        try (OomWatcher watcher = new OomWatcher(tree.files(), Duration.ZERO)) {
            watcher.watch("c2", 7, calls::incrementAndGet);
            tree.write(V2_FILE, "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
            watcher.check();
            assertEquals(1, calls.get());
        }
    }

    @Test
    void close_ofWatch_stopsCallbacks() throws Exception {
        FakeCgroupTree tree = v1Tree(0);
        AtomicInteger calls = new AtomicInteger();
        try (OomWatcher watcher = new OomWatcher(tree.files(), Duration.ZERO)) {
            AutoCloseable watch = watcher.watch("c1", 42, calls::incrementAndGet);
            watch.close();
            watch.close();
            tree.write(V1_FILE, "oom_kill 1\n");
            watcher.check();
            assertEquals(0, calls.get());
            assertEquals(0, watcher.size());
        }
    }

    @Test
    void check_cgroupRemovedAndFailingCallback_otherWatchesStillReported() {
        FakeCgroupTree tree = v1Tree(0)
                .write("/proc/43/cgroup", "4:memory:/c3\n")
                .write("/sys/fs/cgroup/memory/c3/memory.oom_control", "oom_kill 0\n");
        AtomicInteger calls = new AtomicInteger();
        try (OomWatcher watcher = new OomWatcher(tree.files(), Duration.ZERO)) {
            watcher.watch("c1", 42, () -> {
                throw new IllegalStateException("boom");
            });
            watcher.watch("c3", 43, calls::incrementAndGet);
            tree.write(V1_FILE, "oom_kill 1\n").write("/sys/fs/cgroup/memory/c3/memory.oom_control", "oom_kill 1\n");
            watcher.check();
            tree.delete(V1_FILE);
            watcher.check();
            assertEquals(1, calls.get());
        }
    }

    @Test
    void watch_goneProcess_isNotFound() {
        FakeCgroupTree tree = v1Tree(0);
        try (OomWatcher watcher = new OomWatcher(tree.files(), Duration.ZERO)) {
            ShimException e = assertThrows(ShimException.class, () -> watcher.watch("x", 99, () -> { }));
            assertEquals(ErrorKind.NOT_FOUND, e.kind());
        }
    }

    @Test
    void watch_noMemoryController_isFailedPrecondition() {
        FakeCgroupTree tree = v1Tree(0).write("/proc/44/cgroup", "8:pids:/c4\n");
        try (OomWatcher watcher = new OomWatcher(tree.files(), Duration.ZERO)) {
            ShimException e = assertThrows(ShimException.class, () -> watcher.watch("c4", 44, () -> { }));
            assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        }
    }

    @Test
    void timer_polls_withoutExplicitCheck() {
        FakeCgroupTree tree = v1Tree(0);
        CountDownLatch oom = new CountDownLatch(1);
        try (OomWatcher watcher = new OomWatcher(tree.files(), Duration.ofMillis(20))) {
            watcher.watch("c1", 42, oom::countDown);
            tree.write(V1_FILE, "oom_kill 1\n");
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> oom.await());
        }
    }
}
