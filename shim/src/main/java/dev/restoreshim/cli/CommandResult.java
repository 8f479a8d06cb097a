package dev.restoreshim.cli;

/**
 * The outcome of an external command.
 *
 * @param exitCode its exit status
 * @param output stdout and stderr together
 */
record CommandResult(int exitCode, String output) {
    /** The last non-blank output line (what runc and umount put their reason in), or "exit status N". */
    String lastLine() {
        String[] lines = output.strip().split("\n");
        String last = lines[lines.length - 1].strip();
        return last.isEmpty() ? "exit status " + exitCode : last;
    }
}
