package dev.restoreshim.task;

import dev.restoreshim.process.Container;

/**
 * One task as the daemon serves it: the container aggregate and its persisted record. A task is
 * registered under its key before its container exists, so two Creates of one id never race;
 * {@link #attached()} says whether Create finished.
 */
public final class Task {
    private final TaskKey key;
    private final Object lifecycle = new Object();
    private volatile Container container;
    private volatile TaskRecord record;

    Task(TaskKey key) {
        this.key = key;
    }

    void attach(Container c, TaskRecord r) {
        this.record = r;
        this.container = c;
    }

    public boolean attached() {
        return container != null;
    }

    public TaskKey key() {
        return key;
    }

    public Container container() {
        return container;
    }

    public TaskRecord record() {
        return record;
    }

    /**
     * Held while a lifecycle event is published together with the operation that causes it, so that
     * an exit observed during Start is published after the start event.
     */
    Object lifecycle() {
        return lifecycle;
    }
}
