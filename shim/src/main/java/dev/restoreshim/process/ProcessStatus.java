package dev.restoreshim.process;

/** A process's status as containerd's Task API reports it. */
public enum ProcessStatus {
    UNKNOWN, CREATED, RUNNING, STOPPED, PAUSED, PAUSING
}
