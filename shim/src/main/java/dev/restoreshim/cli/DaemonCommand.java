package dev.restoreshim.cli;

import dev.restoreshim.config.ConfigLocation;
import dev.restoreshim.config.ShimConfig;
import java.nio.file.Path;

/**
 * {@code restore-shim daemon --config FILE --dir DIR --containerd-address A --ttrpc-address T}: the
 * node daemon the launcher starts. Contract (see {@code docs/launcher.md}): bind
 * {@code DIR/ttrpc.sock}, {@code DIR/grpc.sock} and {@code DIR/admin.sock}, write
 * {@code DIR/daemon.pid}, then {@code DIR/ready}; stdout and stderr go to {@code DIR/daemon.log}.
 */
public final class DaemonCommand {
    private DaemonCommand() {
    }

    /**
     * Runs the daemon until SIGTERM, or until containerd shuts down the last task.
     *
     * @param args the arguments after {@code daemon}
     * @return the process exit code
     */
    public static int run(String[] args) {
        // slf4j-simple reads its settings once, when the first logger is made: set them first.
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.grpc", "warn");
        applyLogLevel(args);
        try {
            return NodeDaemon.run(args);
        } catch (java.io.IOException e) {
            System.err.println("restore-shim daemon: " + e.getMessage());
            return Main.EXIT_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.EXIT_FAILURE;
        }
    }

    /**
     * The config's {@code log_level} as slf4j-simple's default level; it must be set before the
     * first logger exists. A bad command line or config is left to {@link NodeDaemon#run}, which
     * parses both again and reports the problem.
     */
    private static void applyLogLevel(String[] args) {
        try {
            DaemonArgs parsed = DaemonArgs.parse(args);
            ShimConfig config = ConfigLocation.commandLineOr(parsed.config().map(Path::toString).orElse(""),
                    System.getenv(), ConfigLocation.DEFAULT_FILE).load();
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", config.logLevel().configName());
        } catch (Exception e) {
            // reported by NodeDaemon.run
        }
    }
}
