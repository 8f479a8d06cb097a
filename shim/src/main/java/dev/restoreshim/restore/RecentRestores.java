package dev.restoreshim.restore;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The last restores of this daemon, newest first, for {@code restore-shim status}: at most
 * {@link #capacity()} entries, the oldest dropped first. Thread-safe; the lock ({@code this})
 * guards only the deque and is never held while calling out.
 */
public final class RecentRestores {
    /** Entries kept by {@link #RecentRestores()}. */
    public static final int DEFAULT_CAPACITY = 32;

    private final int capacity;
    private final Deque<Entry> entries = new ArrayDeque<>();

    /** One finished restore attempt. */
    public enum Outcome {
        /** {@code runc restore} returned and the task runs. */
        RESTORED,
        /** Create or the restore at Start failed (the error says why). */
        FAILED
    }

    /**
     * One finished restore attempt.
     *
     * @param namespace the task's containerd namespace
     * @param id the task id
     * @param source the archive or directory the checkpoint came from
     * @param timings the phases measured (null when Create failed before any finished)
     * @param totalMs from the Create call to the end of the restore (without the time between Create and Start)
     * @param outcome how it ended
     * @param error the error message, empty when restored
     * @param finishedAt when it ended
     */
    public record Entry(String namespace, String id, String source, RestoreTimings timings, long totalMs,
                        Outcome outcome, String error, Instant finishedAt) {
    }

    public RecentRestores() {
        this(DEFAULT_CAPACITY);
    }

    public RecentRestores(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** How many entries are kept. */
    public int capacity() {
        return capacity;
    }

    /** Adds {@code entry} as the newest, dropping the oldest beyond the capacity. */
    public synchronized void add(Entry entry) {
        entries.addFirst(entry);
        while (entries.size() > capacity) {
            entries.removeLast();
        }
    }

    /** The entries, newest first. */
    public synchronized List<Entry> newestFirst() {
        return new ArrayList<>(entries);
    }
}
