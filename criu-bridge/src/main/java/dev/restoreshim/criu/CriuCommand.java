package dev.restoreshim.criu;

import java.time.Duration;
import java.util.List;

/**
 * Runs the CRIU binary with arguments and returns its exit code and output. The seam for feature
 * detection: {@link ProcessCriuCommand} runs the real binary, tests answer from a table.
 */
public interface CriuCommand {
    /** What a run gave: the exit code (-1 when it could not start or timed out) and stdout+stderr. */
    record Result(int exit, String output) {
        /** Whether it exited 0. */
        public boolean ok() {
            return exit == 0;
        }
    }

    /** The binary run (for messages and the status report). */
    String binary();

    /**
     * Runs {@code binary args...} and waits at most {@code timeout}.
     *
     * @return the result; a binary that cannot be started gives exit -1 and the reason as output
     */
    Result run(List<String> args, Duration timeout);
}
