package dev.restoreshim.sys;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the zombies nobody watches. As child subreaper the daemon inherits every process
 * orphaned under it (runc's intermediate processes, a container init's children after the init
 * died); {@link PidfdReaper} reaps only the pids it was asked to watch, so without this sweep
 * such zombies would stay in the process table for the daemon's lifetime.
 *
 * <p>A zombie is reaped only when two consecutive sweeps found it unwatched: between spawning a
 * process and watching it there is a short window in which a fast exit is an unwatched zombie,
 * and reaping it then would steal its exit status. One period (30 s by default) is far longer
 * than that window.
 *
 * <p>Locking: {@link #sweep} runs on the one scheduler thread only; {@link #seen} is confined to it.
 */
public final class OrphanSweep implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanSweep.class);

    private final PidfdReaper reaper;
    private final Set<Integer> seen = new HashSet<>();
    private ScheduledExecutorService scheduler;

    /** A sweep over the zombie children of this process, reaping through {@code reaper}. */
    public OrphanSweep(PidfdReaper reaper) {
        this.reaper = reaper;
    }

    /** Sweeps every {@code period} on a daemon thread until {@link #close}. */
    public OrphanSweep every(Duration period) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "orphan-sweep");
            t.setDaemon(true);
            return t;
        });
        long ms = period.toMillis();
        scheduler.scheduleWithFixedDelay(this::sweepQuietly, ms, ms, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * One sweep: reaps the unwatched zombies the previous sweep saw too, remembers the others.
     * Returns how many were reaped.
     */
    public int sweep() {
        Set<Integer> now = new HashSet<>();
        int reaped = reaper.reapOrphans(pid -> {
            if (seen.contains(pid)) {
                return true;
            }
            now.add(pid);
            return false;
        });
        seen.clear();
        seen.addAll(now);
        return reaped;
    }

    private void sweepQuietly() {
        try {
            int n = sweep();
            if (n > 0) {
                LOG.info("event=orphans_reaped count={}", n);
            }
        } catch (RuntimeException e) {
            LOG.warn("event=orphan_sweep_failed reason=\"{}\"", e.getMessage());
        }
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
