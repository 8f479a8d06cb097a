package dev.restoreshim.cli;

/**
 * {@code restore-shim daemon --config FILE --dir DIR --containerd-address A --ttrpc-address T}: the
 * node daemon the launcher starts. Contract (see {@code docs/launcher.md}): bind
 * {@code DIR/ttrpc.sock}, {@code DIR/grpc.sock} and {@code DIR/admin.sock}, write
 * {@code DIR/daemon.pid}, then {@code DIR/ready}; never write to stdout after that matters (the
 * launcher sends stdout and stderr to {@code DIR/daemon.log}).
 *
 * <p>STUB: the lead fills this in. Until then it fails with a clear message.
 */
public final class DaemonCommand {
    private DaemonCommand() {
    }

    /**
     * Runs the daemon until it is told to stop.
     *
     * @param args the arguments after {@code daemon}
     * @return the process exit code
     */
    public static int run(String[] args) {
        System.err.println("restore-shim daemon: not implemented yet");
        return Main.EXIT_FAILURE;
    }
}
