package dev.restoreshim.process;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orders one container's start and exit reports (see {@link ExitListener} for the guarantee).
 * An exit that arrives while its process's start is in flight is held until the start is
 * reported; the init's exit is held while execs are still alive, and {@code killExecs} is asked
 * to make them go (they die with the init's pid namespace anyway, unless it is shared).
 *
 * <p>Locking: {@code this} guards all fields and is held while the listener runs, which is what
 * serialises the reports of one container. Never call into a process lock from the listener.
 */
final class ExitRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ExitRouter.class);

    private record Pending(String execId, int pid, ExitInfo exit, Runnable afterDelivery) {
    }

    private final String containerId;
    private final ExitListener listener;
    private final Runnable killExecs;
    private final Set<String> starting = new HashSet<>();
    private final Map<String, Pending> deferred = new HashMap<>();
    private final Set<String> liveExecs = new HashSet<>();
    private Pending initExit;

    ExitRouter(String containerId, ExitListener listener, Runnable killExecs) {
        this.containerId = containerId;
        this.listener = listener;
        this.killExecs = killExecs;
    }

    /** A start of {@code execId} ("" for init) is about to run. */
    synchronized void beginStart(String execId) {
        starting.add(execId);
    }

    /** The start finished; on success {@code started} is reported, then any exit held meanwhile. */
    void finishStart(String execId, int pid, boolean succeeded) {
        boolean kill;
        synchronized (this) {
            starting.remove(execId);
            if (succeeded) {
                try {
                    listener.started(containerId, execId, pid);
                } catch (RuntimeException e) {
                    LOG.error("msg=\"start listener failed\" id={} exec={} error=\"{}\"", containerId, execId, e.toString());
                }
                if (!execId.isEmpty()) {
                    liveExecs.add(execId);
                }
            }
            Pending held = deferred.remove(execId);
            kill = held != null && route(held);
        }
        if (kill) {
            Thread.ofVirtual().name("kill-execs-" + containerId).start(killExecs);
        }
    }

    /** A process exited; {@code afterDelivery} runs right after the listener saw it. */
    void exited(String execId, int pid, ExitInfo exit, Runnable afterDelivery) {
        boolean kill;
        synchronized (this) {
            Pending p = new Pending(execId, pid, exit, afterDelivery);
            if (starting.contains(execId)) {
                deferred.put(execId, p);
                return;
            }
            kill = route(p);
        }
        if (kill) {
            Thread.ofVirtual().name("kill-execs-" + containerId).start(killExecs);
        }
    }

    /** Number of execs started and not yet reported exited. */
    synchronized int liveExecs() {
        return liveExecs.size();
    }

    /** Delivers or holds {@code p}; true when the init exit is now waiting for live execs. */
    private boolean route(Pending p) {
        if (p.execId().isEmpty()) {
            if (!liveExecs.isEmpty()) {
                initExit = p;
                return true;
            }
            deliver(p);
            return false;
        }
        deliver(p);
        liveExecs.remove(p.execId());
        if (liveExecs.isEmpty() && initExit != null) {
            Pending init = initExit;
            initExit = null;
            deliver(init);
        }
        return false;
    }

    private void deliver(Pending p) {
        try {
            listener.exited(containerId, p.execId(), p.pid(), p.exit());
        } catch (RuntimeException e) {
            LOG.error("msg=\"exit listener failed\" id={} exec={} error=\"{}\"", containerId, p.execId(), e.toString());
        } finally {
            p.afterDelivery().run();
        }
    }
}
