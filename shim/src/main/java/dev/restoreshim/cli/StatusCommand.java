package dev.restoreshim.cli;

import dev.restoreshim.config.ConfigLocation;
import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.config.ShimConfig;
import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code restore-shim status [--dir DAEMONDIR] [--config FILE] [--json]}: health, tasks and recent
 * restores of one daemon, or of every daemon under {@code <state_dir>/d/}. Exit 0 when every daemon
 * found is SERVING and answered, 1 otherwise (including when none is found).
 */
final class StatusCommand {
    private static final Set<String> VALUED = Set.of("dir", "config", "timeout");
    private static final Set<String> BOOLEANS = Set.of("json");

    private final PrintStream out;
    private final Map<String, String> env;
    private final Path defaultConfig;

    StatusCommand(PrintStream out) {
        this(out, System.getenv(), ConfigLocation.DEFAULT_FILE);
    }

    StatusCommand(PrintStream out, Map<String, String> env, Path defaultConfig) {
        this.out = out;
        this.env = env;
        this.defaultConfig = defaultConfig;
    }

    int run(List<String> args) {
        Flags flags = Flags.parse(args, VALUED, BOOLEANS);
        if (!flags.positional().isEmpty()) {
            throw new UsageException("unexpected argument " + flags.positional().getFirst());
        }
        Duration deadline = Duration.ofSeconds(parseSeconds(flags.value("timeout")));
        List<Path> dirs = flags.value("dir") != null
                ? List.of(Path.of(flags.value("dir")).toAbsolutePath())
                : discover(ConfigLocation.commandLineOr(flags.value("config"), env, defaultConfig).load());
        List<DaemonReport> reports = new ArrayList<>();
        for (Path dir : dirs) {
            reports.add(probe(deadline, new DaemonLayout(dir)));
        }
        out.print(flags.has("json") ? StatusJson.render(reports) : StatusTable.render(reports));
        out.flush();
        return reports.stream().allMatch(DaemonReport::healthy) ? Main.EXIT_OK : Main.EXIT_FAILURE;
    }

    /**
     * Probes one daemon. Nothing of gRPC is loaded (DaemonProbe, AdminChannel) unless the admin
     * socket exists, so that {@code status} without a daemon starts as fast as {@code inspect}: with
     * the CLI's AOT cache, every class it holds is loaded at start-up from its jar.
     */
    private static DaemonReport probe(Duration deadline, DaemonLayout daemon) {
        if (!Files.exists(daemon.adminSocket())) {
            return new DaemonReport(daemon.dir(), "UNREACHABLE", null, "no admin socket " + daemon.adminSocket());
        }
        return new DaemonProbe(deadline).probe(daemon.dir(), daemon.adminSocket());
    }

    /** Daemon directories under {@code <state_dir>/d/}; none found is an error naming the directory. */
    static List<Path> discover(ShimConfig config) {
        Path parent = DaemonLayout.daemonsDir(config.stateDir());
        try (Stream<Path> children = Files.list(parent)) {
            List<Path> dirs = children.filter(Files::isDirectory).sorted().toList();
            if (dirs.isEmpty()) {
                throw ShimException.notFound("no daemon directory under " + parent);
            }
            return dirs;
        } catch (NoSuchFileException e) {
            throw ShimException.notFound("no daemon directory under " + parent + " (it does not exist; config: " + config.origin() + ")");
        } catch (IOException e) {
            throw ShimException.internal("listing " + parent + ": " + e, e);
        }
    }

    private static long parseSeconds(String value) {
        if (value == null) {
            return 3;
        }
        try {
            long s = Long.parseLong(value);
            if (s > 0 && s <= 600) {
                return s;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the usage error
        }
        throw new UsageException("--timeout must be whole seconds between 1 and 600, got \"" + value + "\"");
    }
}
