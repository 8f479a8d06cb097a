package dev.restoreshim.process;

/** The work the exec state machine orders; {@link ExecProcess} does it, tests record it. */
public interface ExecActions {
    /** Runs {@code runc exec --detach}; returns the pid. */
    int start();

    /** Signals the exec'd process. */
    void kill(int signal);

    /** Releases the exec's resources (io, process.json). */
    void delete();
}
