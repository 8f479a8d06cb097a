package dev.restoreshim.cli;

import dev.restoreshim.errors.ShimException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Command line of {@code restore-shim daemon}, as the launcher passes it (see docs/launcher.md).
 *
 * @param config            the TOML config file, empty for defaults
 * @param dir               the daemon directory: sockets, pid file, ready marker, task state
 * @param containerdAddress containerd's gRPC address, which keys this daemon
 * @param ttrpcAddress      containerd's TTRPC address for events, empty to drop events
 */
record DaemonArgs(Optional<Path> config, Path dir, String containerdAddress, String ttrpcAddress) {

    static DaemonArgs parse(String[] args) {
        Path config = null;
        Path dir = null;
        String address = "";
        String ttrpc = System.getenv().getOrDefault("TTRPC_ADDRESS", "");
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw ShimException.invalidArgument("daemon: flag " + flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--config" -> config = value.isEmpty() ? null : Path.of(value);
                case "--dir" -> dir = Path.of(value);
                case "--containerd-address" -> address = value;
                case "--ttrpc-address" -> ttrpc = value;
                default -> throw ShimException.invalidArgument("daemon: unknown flag " + flag);
            }
        }
        if (dir == null) {
            throw ShimException.invalidArgument("daemon: --dir is required");
        }
        return new DaemonArgs(Optional.ofNullable(config), dir.toAbsolutePath(), address, ttrpc);
    }
}
