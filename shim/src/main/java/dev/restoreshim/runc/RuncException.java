package dev.restoreshim.runc;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;

/**
 * A failed runc command. The message quotes runc's own last error line
 * ({@code runc start "web": container not running}), never a bare exit status. "does not
 * exist" is classified NotFound; everything else Unknown, as containerd leaves runc errors.
 */
public final class RuncException extends ShimException {
    private final String command;
    private final String containerId;
    private final String runcError;
    private final int exitCode;

    public RuncException(String command, String containerId, String runcError, int exitCode) {
        super(kindOf(runcError), "runc " + command + " \"" + containerId + "\": " + runcError);
        this.command = command;
        this.containerId = containerId;
        this.runcError = runcError;
        this.exitCode = exitCode;
    }

    private static ErrorKind kindOf(String error) {
        return error.contains("does not exist") ? ErrorKind.NOT_FOUND : ErrorKind.UNKNOWN;
    }

    /** The runc command, e.g. {@code create}. */
    public String command() {
        return command;
    }

    /** The container the command was about. */
    public String containerId() {
        return containerId;
    }

    /** runc's last error line. */
    public String runcError() {
        return runcError;
    }

    /** runc's exit code. */
    public int exitCode() {
        return exitCode;
    }
}
