package dev.restoreshim.cli;

import dev.restoreshim.errors.ShimException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Entry point of {@code restore-shim.jar}: {@code restore-shim COMMAND [FLAGS]}. Errors are one
 * line on stderr, never a stack trace. Exit codes: {@value #EXIT_OK} success, {@value #EXIT_FAILURE}
 * failure, {@value #EXIT_USAGE} bad command line.
 */
public final class Main {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    static final String USAGE = """
            usage: restore-shim COMMAND [FLAGS]
            commands:
              daemon    run the node daemon (started by containerd-shim-restore-v2)
              status    show daemon health, tasks and recent restores [--dir DIR] [--config FILE] [--json]
              inspect   show what a checkpoint archive holds, from its headers: ARCHIVE [--json] [--delta-files]
              convert   turn a checkpoint archive into a restore image (docs/restore-image.md):
                        ARCHIVE (--push REF | --oci-layout DIR [--tag TAG]) [--base REF] [--plain-http] [--chunked]
              train     run a short self-driving workload (install.sh records the AOT cache from it);
                        TTRPC Task calls only, --grpc adds gRPC Task and admin-socket calls,
                        --cli runs the CLI's workload instead (inspect, status; no daemon)
              version   print the version
              help      print this text
            """;

    private Main() {
    }

    /**
     * Short commands that hold no resources once {@link #run} returns: they end with
     * {@link Runtime#halt}, because {@link System#exit} looks up a System.Logger for
     * {@code java.lang.Runtime}, and that lookup scans every jar on the class path for a
     * LoggerFinder service (opening the 13,000-entry shaded jar: 20-40 ms of inspect's start-up,
     * more with a cold page cache).
     */
    private static final Set<String> HALT_AFTER = Set.of("inspect", "status", "version", "-v", "--version",
            "help", "-h", "--help");

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (args.length > 0 && HALT_AFTER.contains(args[0])) {
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(code);
        }
        System.exit(code);
    }

    /** Dispatches one command; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return EXIT_USAGE;
        }
        String command = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            return switch (command) {
                case "daemon" -> DaemonCommand.run(rest.toArray(String[]::new));
                case "status" -> new StatusCommand(out).run(rest);
                case "inspect" -> new InspectCommand(out).run(rest);
                case "convert" -> new ConvertCommand(out, err).run(rest);
                case "version", "-v", "--version" -> VersionCommand.run(out);
                case "train" -> TrainCommand.run(out, rest);
                case "help", "-h", "--help" -> {
                    out.print(USAGE);
                    yield EXIT_OK;
                }
                default -> throw new UsageException("unknown command \"" + command + "\" (try: restore-shim help)");
            };
        } catch (UsageException e) {
            err.println("restore-shim " + command + ": " + e.getMessage());
            return EXIT_USAGE;
        } catch (ShimException e) {
            err.println("restore-shim " + command + ": " + e.getMessage());
            return EXIT_FAILURE;
        } catch (RuntimeException e) {
            err.println("restore-shim " + command + ": internal error: " + e);
            return EXIT_FAILURE;
        }
    }
}
