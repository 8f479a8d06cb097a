package dev.restoreshim.cli;

import java.io.IOException;
import java.io.PrintStream;

/**
 * {@code restore-shim train}: the workload install.sh records the JDK AOT cache from. It boots a
 * real node daemon in a temporary directory (no containerd, events dropped) and drives the paths
 * every container start takes: TTRPC and gRPC Task calls, health and status on the admin socket.
 * Unknown tasks answer NOT_FOUND, so nothing on the host changes.
 *
 * <p>By default only the TTRPC Task path runs (what containerd uses for every container). With
 * {@code --grpc} the gRPC Task and admin-socket calls run too; that pulls grpc-java's client side
 * into the cache, and since the JVM loads every cached class at start-up, it costs the daemon
 * about 6 MiB of RSS (docs/benchmarks.md), so install.sh trains without it.
 *
 * <p>With {@code --cli} no daemon starts: the workload is the CLI's instead ({@link CliTraining}),
 * which install.sh records into the CLI's own cache ({@code restore-shim-cli.aot}), trained with the
 * CLI wrapper's JVM options.
 */
final class TrainCommand {
    private TrainCommand() {
    }

    static int run(PrintStream out, java.util.List<String> args) {
        boolean grpc = false;
        boolean cli = false;
        for (String arg : args) {
            switch (arg) {
                case "--grpc" -> grpc = true;
                case "--cli" -> cli = true;
                default -> throw new UsageException("unknown argument \"" + arg + "\" (expected --grpc, --cli or nothing)");
            }
        }
        if (grpc && cli) {
            throw new UsageException("--grpc and --cli train different caches; give one");
        }
        try {
            return cli ? CliTraining.run(out) : DaemonTraining.train(out, grpc);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("train: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.EXIT_FAILURE;
        }
    }
}
