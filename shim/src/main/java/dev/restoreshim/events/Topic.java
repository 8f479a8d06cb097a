package dev.restoreshim.events;

/** The task event topics containerd understands, with their wire path. */
public enum Topic {
    TASK_CREATE("/tasks/create"),
    TASK_START("/tasks/start"),
    TASK_EXIT("/tasks/exit"),
    TASK_DELETE("/tasks/delete"),
    TASK_EXEC_ADDED("/tasks/exec-added"),
    TASK_EXEC_STARTED("/tasks/exec-started"),
    TASK_PAUSED("/tasks/paused"),
    TASK_RESUMED("/tasks/resumed"),
    TASK_CHECKPOINTED("/tasks/checkpointed"),
    TASK_OOM("/tasks/oom");

    private final String path;

    Topic(String path) {
        this.path = path;
    }

    public String path() {
        return path;
    }
}
