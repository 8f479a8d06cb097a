package dev.restoreshim.runc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Options of {@code runc create}.
 *
 * @param bundle the OCI bundle directory
 * @param pidFile where runc writes the init pid
 * @param consoleSocket the socket that receives the pty master, or null without a terminal
 * @param noPivot {@code --no-pivot}
 * @param noNewKeyring {@code --no-new-keyring}
 */
public record CreateOptions(Path bundle, Path pidFile, Path consoleSocket, boolean noPivot, boolean noNewKeyring) {
    public CreateOptions {
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(pidFile, "pidFile");
    }

    /** The arguments after {@code create}, before the container id. */
    public List<String> args() {
        List<String> a = new ArrayList<>(List.of("--bundle", bundle.toString(), "--pid-file", pidFile.toString()));
        if (consoleSocket != null) {
            a.addAll(List.of("--console-socket", consoleSocket.toString()));
        }
        if (noPivot) {
            a.add("--no-pivot");
        }
        if (noNewKeyring) {
            a.add("--no-new-keyring");
        }
        return a;
    }
}
