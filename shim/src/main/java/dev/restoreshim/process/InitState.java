package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.CheckpointOptions;
import dev.restoreshim.runc.RestoreOptions;

/**
 * The state machine of a container's init process, after containerd's runc shim. Each operation
 * either does its work through {@link InitActions} and returns the next state, or refuses with
 * FailedPrecondition naming operation and state ("cannot pause task in created state"); Kill and
 * Delete on {@link Deleted} are NotFound. Restore is a state too: {@link CreatedFromCheckpoint}
 * starts by restoring instead of starting. Callers hold the init lock.
 */
public sealed interface InitState {
    /** Created by {@code runc create}, not started. */
    record Created() implements InitState {
        @Override
        public InitState start(InitActions a) {
            a.start();
            return new Running();
        }

        @Override
        public InitState delete(InitActions a) {
            a.delete();
            return new Deleted();
        }

        @Override
        public InitState update(InitActions a, byte[] resources) {
            a.update(resources);
            return this;
        }

        @Override
        public void checkExec() {
        }
    }

    /** Create recorded a checkpoint; start restores it with {@code options}. */
    record CreatedFromCheckpoint(RestoreOptions options) implements InitState {
        @Override
        public InitState start(InitActions a) {
            a.restore(options);
            return new Running();
        }

        @Override
        public InitState delete(InitActions a) {
            a.delete();
            return new Deleted();
        }

        @Override
        public InitState update(InitActions a, byte[] resources) {
            a.update(resources);
            return this;
        }
    }

    /** Started (or restored) and not yet exited. */
    record Running() implements InitState {
        @Override
        public InitState pause(InitActions a) {
            a.pause();
            return new Paused();
        }

        @Override
        public InitState update(InitActions a, byte[] resources) {
            a.update(resources);
            return this;
        }

        @Override
        public InitState checkpoint(InitActions a, CheckpointOptions options) {
            a.checkpoint(options);
            return this;
        }

        @Override
        public void checkExec() {
        }
    }

    /** Frozen by {@code runc pause}. */
    record Paused() implements InitState {
        @Override
        public InitState resume(InitActions a) {
            a.resume();
            return new Running();
        }

        @Override
        public InitState update(InitActions a, byte[] resources) {
            a.update(resources);
            return this;
        }

        @Override
        public InitState checkpoint(InitActions a, CheckpointOptions options) {
            a.checkpoint(options);
            return this;
        }

        @Override
        public InitState exited(InitActions a) {
            a.resumeAfterExit();
            return new Stopped();
        }
    }

    /** The init process has exited; only Delete (and a Kill that reports NotFound) remain. */
    record Stopped() implements InitState {
        @Override
        public InitState delete(InitActions a) {
            a.delete();
            return new Deleted();
        }

        @Override
        public InitState exited(InitActions a) {
            return this;
        }
    }

    /** Deleted; the container is gone. */
    record Deleted() implements InitState {
        @Override
        public InitState kill(InitActions a, int signal, boolean all) {
            throw ShimException.notFound("cannot kill a deleted process");
        }

        @Override
        public InitState delete(InitActions a) {
            throw ShimException.notFound("cannot delete a deleted process");
        }

        @Override
        public InitState exited(InitActions a) {
            return this;
        }
    }

    /** Starts (or restores) the container. */
    default InitState start(InitActions a) {
        throw refused("start");
    }

    /** Freezes the container. */
    default InitState pause(InitActions a) {
        throw refused("pause");
    }

    /** Thaws the container. */
    default InitState resume(InitActions a) {
        throw refused("resume");
    }

    /** Applies new resources. */
    default InitState update(InitActions a, byte[] resources) {
        throw refused("update");
    }

    /** Checkpoints the container. */
    default InitState checkpoint(InitActions a, CheckpointOptions options) {
        throw refused("checkpoint");
    }

    /** Signals the container; allowed until deleted (a stopped one answers NotFound through runc). */
    default InitState kill(InitActions a, int signal, boolean all) {
        a.kill(signal, all);
        return this;
    }

    /** Deletes the container. */
    default InitState delete(InitActions a) {
        throw refused("delete");
    }

    /** The init process exited. */
    default InitState exited(InitActions a) {
        return new Stopped();
    }

    /** Refuses an exec unless the container is created or running. */
    default void checkExec() {
        throw refused("exec");
    }

    /** The status containerd sees. */
    default ProcessStatus status() {
        return switch (this) {
            case Created c -> ProcessStatus.CREATED;
            case CreatedFromCheckpoint c -> ProcessStatus.CREATED;
            case Running r -> ProcessStatus.RUNNING;
            case Paused p -> ProcessStatus.PAUSED;
            case Stopped s -> ProcessStatus.STOPPED;
            case Deleted d -> ProcessStatus.STOPPED;
        };
    }

    /** The state's name in messages. */
    default String stateName() {
        return switch (this) {
            case Created c -> "created";
            case CreatedFromCheckpoint c -> "created";
            case Running r -> "running";
            case Paused p -> "paused";
            case Stopped s -> "stopped";
            case Deleted d -> "deleted";
        };
    }

    private ShimException refused(String operation) {
        return ShimException.failedPrecondition("cannot " + operation + " task in " + stateName() + " state");
    }
}
