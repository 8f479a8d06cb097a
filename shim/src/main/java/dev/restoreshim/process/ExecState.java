package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;

/**
 * The state machine of an exec'd process: Created, Running, Stopped, Deleted. Illegal operations
 * are FailedPrecondition naming operation and state; Kill of a stopped process and Kill or Delete
 * of a deleted one are NotFound ("process already finished"), as containerd's checkKillError.
 * Callers hold the exec's lock.
 */
public sealed interface ExecState {
    /** Added by Exec, not yet started. */
    record Created() implements ExecState {
        @Override
        public ExecState start(ExecActions a) {
            a.start();
            return new Running();
        }

        @Override
        public ExecState delete(ExecActions a) {
            a.delete();
            return new Deleted();
        }

        @Override
        public ExecState kill(ExecActions a, int signal) {
            throw ShimException.failedPrecondition("cannot kill exec in created state: process not started");
        }
    }

    /** Running. */
    record Running() implements ExecState {
        @Override
        public ExecState kill(ExecActions a, int signal) {
            a.kill(signal);
            return this;
        }
    }

    /** Exited. */
    record Stopped() implements ExecState {
        @Override
        public ExecState delete(ExecActions a) {
            a.delete();
            return new Deleted();
        }

        @Override
        public ExecState exited() {
            return this;
        }
    }

    /** Deleted. */
    record Deleted() implements ExecState {
        @Override
        public ExecState delete(ExecActions a) {
            throw ShimException.notFound("cannot delete a deleted process");
        }

        @Override
        public ExecState exited() {
            return this;
        }
    }

    /** Starts the process. */
    default ExecState start(ExecActions a) {
        throw ShimException.failedPrecondition("cannot start exec in " + stateName() + " state");
    }

    /** Signals the process. */
    default ExecState kill(ExecActions a, int signal) {
        throw ShimException.notFound("process already finished");
    }

    /** Deletes the process. */
    default ExecState delete(ExecActions a) {
        throw ShimException.failedPrecondition("cannot delete exec in " + stateName() + " state");
    }

    /** The process exited. */
    default ExecState exited() {
        return new Stopped();
    }

    /** The status containerd sees. */
    default ProcessStatus status() {
        return switch (this) {
            case Created c -> ProcessStatus.CREATED;
            case Running r -> ProcessStatus.RUNNING;
            case Stopped s -> ProcessStatus.STOPPED;
            case Deleted d -> ProcessStatus.STOPPED;
        };
    }

    /** The state's name in messages. */
    default String stateName() {
        return switch (this) {
            case Created c -> "created";
            case Running r -> "running";
            case Stopped s -> "stopped";
            case Deleted d -> "deleted";
        };
    }
}
