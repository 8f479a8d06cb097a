package dev.restoreshim.process;

import dev.restoreshim.runc.CheckpointOptions;
import dev.restoreshim.runc.RestoreOptions;

/**
 * The work the init state machine orders; {@link InitProcess} does it through runc, tests record
 * it. Called with the init lock held.
 */
public interface InitActions {
    void start();

    void restore(RestoreOptions options);

    void pause();

    void resume();

    void update(byte[] resources);

    void checkpoint(CheckpointOptions options);

    void kill(int signal, boolean all);

    void delete();

    /** A paused container that exited is resumed so its cgroup can be torn down; failures are only logged. */
    void resumeAfterExit();
}
