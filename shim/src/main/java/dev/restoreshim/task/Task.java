package dev.restoreshim.task;

import dev.restoreshim.process.Container;

/**
 * One task as the daemon serves it: the container aggregate and its persisted record. A task is
 * registered under its key before its container exists, so two Creates of one id never race;
 * {@link #attached()} says whether Create finished.
 */
public final class Task {
    private final TaskKey key;
    private volatile Container container;
    private volatile TaskRecord record;
    private volatile AutoCloseable oomWatch = () -> { };

    Task(TaskKey key) {
        this.key = key;
    }

    void attach(Container c, TaskRecord r, AutoCloseable oomWatch) {
        this.record = r;
        this.oomWatch = oomWatch;
        this.container = c;
    }

    /** Sets the OOM watch once the init has a pid (a restore gets it at Start, not at Create). */
    void watchOom(AutoCloseable watch) {
        this.oomWatch = watch;
    }

    void stopOomWatch() {
        try {
            oomWatch.close();
        } catch (Exception e) {
            // a watch that cannot be closed holds no resource worth failing a delete for
        }
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
}
