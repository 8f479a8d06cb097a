package dev.restoreshim.cli;

import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.proto.admin.AdminGrpc;
import dev.restoreshim.proto.admin.StatusRequest;
import dev.restoreshim.proto.task.ConnectRequest;
import dev.restoreshim.proto.task.StateRequest;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import dev.restoreshim.task.CallNamespace;
import dev.restoreshim.ttrpc.TtrpcClient;
import dev.restoreshim.errors.ErrorStatus;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The daemon's workload for {@code restore-shim train} ({@link TrainCommand}): a real node daemon in a
 * temporary directory (no containerd, events dropped), driven through the paths every container start
 * takes. Unknown tasks answer NOT_FOUND, so nothing on the host changes. Kept apart from
 * {@link TrainCommand} so that {@code train --cli} never loads gRPC classes into the CLI's cache.
 */
final class DaemonTraining {
    private static final int ROUNDS = 200;

    private DaemonTraining() {
    }

    static int train(PrintStream out, boolean grpc) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "restore-shim-train-");
        try {
            var layout = new DaemonLayout(dir);
            try (var daemon = NodeDaemon.startIn(dir)) {
                int notFound = drive(layout, grpc);
                out.println("trained: " + notFound + " calls answered NOT_FOUND as expected");
            }
            return Main.EXIT_OK;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static int drive(DaemonLayout layout, boolean grpc) throws InterruptedException {
        int notFound = 0;
        var metadata = Map.of(CallNamespace.TTRPC_METADATA_KEY, "train");
        try (var ttrpc = new TtrpcClient(layout.ttrpcSocket())) {
            for (int i = 0; i < ROUNDS; i++) {
                String id = "train-" + i;
                notFound += expectNotFound(() -> ttrpc.call(
                        dev.restoreshim.proto.task.TaskGrpc.getConnectMethod(),
                        ConnectRequest.newBuilder().setId(id).build(), Duration.ofSeconds(5), metadata));
                notFound += expectNotFound(() -> ttrpc.call(
                        dev.restoreshim.proto.task.TaskGrpc.getStateMethod(),
                        StateRequest.newBuilder().setId(id).build(), Duration.ofSeconds(5), metadata));
            }
        }
        return grpc ? notFound + driveGrpc(layout) : notFound;
    }

    private static int driveGrpc(DaemonLayout layout) {
        int notFound = 0;
        try (var grpc = new AdminChannel(layout.grpcSocket());
             var admin = new AdminChannel(layout.adminSocket())) {
            var task = TaskGrpc.newBlockingStub(grpc.channel());
            for (int i = 0; i < ROUNDS; i++) {
                String id = "train-" + i;
                notFound += expectNotFound(() -> task.withDeadlineAfter(5, TimeUnit.SECONDS)
                        .state(StateRequest.newBuilder().setId(id).build()));
                HealthGrpc.newBlockingStub(admin.channel()).check(HealthCheckRequest.getDefaultInstance());
                AdminGrpc.newBlockingStub(admin.channel()).status(StatusRequest.getDefaultInstance());
            }
        }
        return notFound;
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static int expectNotFound(Call call) {
        try {
            call.run();
        } catch (Exception e) {
            if (ErrorStatus.toStatus(e).getCode() == io.grpc.Status.Code.NOT_FOUND) {
                return 1;
            }
            throw new IllegalStateException("train: unexpected answer: " + e.getMessage(), e);
        }
        throw new IllegalStateException("train: a call for an unknown task succeeded");
    }
}
