package dev.restoreshim.cli;

import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.Mounts;

import dev.restoreshim.config.ConfigLocation;
import dev.restoreshim.config.ShimConfig;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.proto.task.DeleteResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code restore-shim delete -namespace NS -address A -id ID -bundle DIR [--config FILE]}: the
 * launcher's {@code delete}, run when containerd has lost the daemon. Prints a protobuf
 * {@code DeleteResponse} on stdout and nothing else there; warnings go to stderr.
 */
final class DeleteCommand {
    private static final Set<String> VALUED = Set.of("namespace", "address", "publish-binary", "id", "bundle", "config", "socket");
    private static final Set<String> BOOLEANS = Set.of("debug");

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final Path defaultConfig;
    private final Factory cleanupFactory;

    /** Builds the cleanup once the config and daemon directory are known. */
    @FunctionalInterface
    interface Factory {
        DeadTaskCleanup create(ShimConfig config, String containerdAddress);
    }

    DeleteCommand(PrintStream out, PrintStream err, Map<String, String> env, Path defaultConfig, Factory cleanupFactory) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.defaultConfig = defaultConfig;
        this.cleanupFactory = cleanupFactory;
    }

    /** The real thing: runc through ProcessBuilder, /proc/self/mountinfo, {@code umount -l} (temporary). */
    static DeleteCommand production(PrintStream out, PrintStream err) {
        CommandRunner runner = new ProcessCommandRunner(Duration.ofSeconds(30));
        return new DeleteCommand(out, err, System.getenv(), ConfigLocation.DEFAULT_FILE,
                (config, address) -> new DeadTaskCleanup(config, config.daemonFor(address), runner,
                        () -> MountTable.read(MountTable.SELF), target -> new LinuxMounts().unmount(target.toString(), Mounts.MNT_DETACH),
                        Clock.systemUTC(), line -> err.println("restore-shim delete: " + line)));
    }

    int run(List<String> args) {
        Flags flags = Flags.parse(args, VALUED, BOOLEANS);
        if (!flags.positional().isEmpty() && !flags.positional().equals(List.of("delete"))) {
            throw new UsageException("unexpected argument " + flags.positional().getFirst());
        }
        String namespace = flags.value("namespace") != null ? flags.value("namespace") : env.get("NAMESPACE");
        if (namespace == null || namespace.isEmpty()) {
            throw new UsageException("flag -namespace is required (or env NAMESPACE)");
        }
        String id = flags.required("id");
        String bundle = flags.value("bundle") != null ? flags.value("bundle") : System.getProperty("user.dir");
        String address = flags.value("address") != null ? flags.value("address") : "";
        ShimConfig config = ConfigLocation.commandLineOr(flags.value("config"), env, defaultConfig).load();
        DeleteResponse response = cleanupFactory.create(config, address).clean(namespace, id, Path.of(bundle));
        try {
            response.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.checkError()) {
            throw ShimException.internal("delete: writing the DeleteResponse to stdout failed", null);
        }
        return Main.EXIT_OK;
    }
}
