package dev.restoreshim.process;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undo actions registered where each resource is born (a mount, an fd, a runc container), run in
 * reverse order by {@link #close()}. A failing undo is logged and the rest still run. Not
 * thread-safe: the owner serialises use (the container's init lock).
 */
public final class CleanupStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CleanupStack.class);

    /** One undo action. */
    @FunctionalInterface
    public interface Undo {
        void run() throws Exception;
    }

    private record Entry(String what, Undo undo) {
    }

    private final Deque<Entry> entries = new ArrayDeque<>();

    /** Registers {@code undo}, described by {@code what} in logs. */
    public void push(String what, Undo undo) {
        entries.push(new Entry(what, undo));
    }

    /** Number of registered actions. */
    public int size() {
        return entries.size();
    }

    /** Runs and forgets every action, newest first. */
    @Override
    public void close() {
        while (!entries.isEmpty()) {
            Entry e = entries.pop();
            try {
                e.undo().run();
            } catch (Exception ex) {
                LOG.warn("msg=\"cleanup failed\" what=\"{}\" error=\"{}\"", e.what(), ex.getMessage());
            }
        }
    }
}
