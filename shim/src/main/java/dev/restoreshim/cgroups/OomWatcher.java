package dev.restoreshim.cgroups;

import dev.restoreshim.errors.ShimException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports OOM kills in containers' memory cgroups, for the shim's {@code /tasks/oom} event.
 *
 * <p>How: one thread polls, for every watched container, the kernel's OOM-kill counter of its
 * memory cgroup ({@code oom_kill} in v1 {@code memory.oom_control}, in v2 {@code memory.events})
 * and calls the container's callback once per poll in which the counter rose. Polling was chosen
 * over the v1 eventfd registration ({@code cgroup.event_control}) because it is the same code for
 * v1, v2 and hybrid hosts, needs no native calls, costs one small read per container per interval
 * (no thread or fd per container), cannot miss a kill between registration and the first read (the
 * baseline is taken at {@link #watch}), and reports kills, not mere OOM pressure events (the v1
 * eventfd also fires when the OOM killer is disabled and nothing dies). Its cost is latency of up to
 * one interval; callers that publish an init exit should first call {@link #check()}, so the OOM
 * event precedes the exit as it does with containerd's runc shim.
 *
 * <p>Locking: {@code pollLock} serialises polls (the timer thread and {@link #check()} callers), so
 * each increase is reported exactly once; it guards {@link Watch#lastCount}. The set of watches is
 * a concurrent set and needs no lock. Callbacks run on the polling thread while {@code pollLock} is
 * held: they must be short (hand the event to a queue) and must not block on other polls.
 */
public final class OomWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OomWatcher.class);

    private final CgroupFiles files;
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final Object pollLock = new Object();
    private final ScheduledExecutorService timer;

    /** One watched memory cgroup. {@code lastCount} is guarded by {@code pollLock}. */
    private static final class Watch {
        final String id;
        final String counterFile;
        final Runnable onOom;
        long lastCount;

        Watch(String id, String counterFile, Runnable onOom, long lastCount) {
            this.id = id;
            this.counterFile = counterFile;
            this.onOom = onOom;
            this.lastCount = lastCount;
        }
    }

    /**
     * Starts a watcher that polls every {@code interval}; a zero interval polls only on
     * {@link #check()} (for tests).
     */
    public OomWatcher(CgroupFiles files, Duration interval) {
        this.files = Objects.requireNonNull(files, "files");
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: >= 0)");
        }
        if (interval.isZero()) {
            this.timer = null;
        } else {
            this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "oom-watcher");
                t.setDaemon(true);
                return t;
            });
            long millis = Math.max(1, interval.toMillis());
            timer.scheduleWithFixedDelay(this::checkQuietly, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** A watcher on the real host polling every 500 ms. */
    public static OomWatcher host() {
        return new OomWatcher(CgroupFiles.host(), Duration.ofMillis(500));
    }

    /**
     * Watches the memory cgroup {@code pid} is in (a task's init process) and runs {@code onOom}
     * each time the kernel OOM-kills a process in it. Kills before this call are not reported.
     *
     * @return closing it stops the watch; closing twice is harmless
     * @throws ShimException NOT_FOUND when the process is gone; FAILED_PRECONDITION when its cgroup
     *     has no memory controller here
     */
    public AutoCloseable watch(String id, int pid, Runnable onOom) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(onOom, "onOom");
        String counterFile = switch (ProcessCgroup.of(files, pid)) {
            case ProcessCgroup.Legacy legacy -> legacy.dir("memory")
                    .map(dir -> dir + "/memory.oom_control")
                    .orElseThrow(() -> ShimException.failedPrecondition(
                            "watch oom of " + id + ": pid " + pid + " has no cgroup v1 memory controller"));
            case ProcessCgroup.Unified unified -> unified.dir() + "/memory.events";
        };
        if (files.read(counterFile).isEmpty()) {
            throw ShimException.failedPrecondition("watch oom of " + id + ": cannot read " + counterFile);
        }
        Watch watch;
        synchronized (pollLock) {
            watch = new Watch(id, counterFile, onOom, oomKills(counterFile));
            watches.add(watch);
        }
        LOG.debug("oom watch started id={} pid={} file={}", id, pid, counterFile);
        return () -> watches.remove(watch);
    }

    /** Polls every watched cgroup now and runs the callbacks of those with new OOM kills. */
    public void check() {
        synchronized (pollLock) {
            for (Watch watch : watches) {
                long count = oomKills(watch.counterFile);
                if (count > watch.lastCount) {
                    LOG.info("oom kill id={} count={}", watch.id, count);
                    watch.lastCount = count;
                    try {
                        watch.onOom.run();
                    } catch (RuntimeException e) {
                        LOG.warn("oom callback failed id={} error={}", watch.id, e.toString());
                    }
                }
            }
        }
    }

    /** The number of watches; for tests and health. */
    public int size() {
        return watches.size();
    }

    /** Stops polling and drops all watches. */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        watches.clear();
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            // keep the timer alive: a scheduled task that throws is never run again
            LOG.warn("oom poll failed error={}", e.toString());
        }
    }

    /** The oom_kill counter; 0 when the file is gone (the cgroup was removed) or lacks it. */
    private long oomKills(String counterFile) {
        Map<String, Long> values = StatFile.flatKeyed(files.read(counterFile).orElse(""));
        return values.getOrDefault("oom_kill", 0L);
    }
}
