package dev.restoreshim.runc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Options of {@code runc exec}: always detached, the process described by a process.json.
 *
 * @param processJson the OCI process spec file
 * @param pidFile where runc writes the exec'd pid
 * @param consoleSocket the socket that receives the pty master, or null without a terminal
 */
public record ExecOptions(Path processJson, Path pidFile, Path consoleSocket) {
    public ExecOptions {
        Objects.requireNonNull(processJson, "processJson");
        Objects.requireNonNull(pidFile, "pidFile");
    }

    /** The arguments after {@code exec}, before the container id. */
    public List<String> args() {
        List<String> a = new ArrayList<>(List.of("--process", processJson.toString(), "--detach",
                "--pid-file", pidFile.toString()));
        if (consoleSocket != null) {
            a.addAll(List.of("--console-socket", consoleSocket.toString()));
        }
        return a;
    }
}
