package dev.restoreshim.cli;

import dev.restoreshim.proto.admin.AdminGrpc;
import dev.restoreshim.proto.admin.StatusRequest;
import dev.restoreshim.proto.admin.StatusResponse;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Asks one daemon for grpc.health.v1.Health/Check and restoreshim.admin.v1.Admin/Status. */
final class DaemonProbe {
    private final Duration deadline;

    DaemonProbe(Duration deadline) {
        this.deadline = deadline;
    }

    /** Connects to the admin socket and probes the daemon; the channel is closed afterwards. */
    DaemonReport probe(Path dir, Path adminSocket) {
        try (AdminChannel channel = new AdminChannel(adminSocket)) {
            return probe(dir, channel.channel());
        }
    }

    DaemonReport probe(Path dir, Channel channel) {
        String health;
        try {
            health = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance())
                    .getStatus().name();
        } catch (StatusRuntimeException e) {
            return new DaemonReport(dir, "UNREACHABLE", null, "health check: " + describe(e));
        }
        try {
            StatusResponse status = AdminGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .status(StatusRequest.getDefaultInstance());
            return new DaemonReport(dir, health, status, null);
        } catch (StatusRuntimeException e) {
            return new DaemonReport(dir, health, null, "admin status: " + describe(e));
        }
    }

    private static String describe(StatusRuntimeException e) {
        String d = e.getStatus().getDescription();
        return e.getStatus().getCode() + (d == null ? "" : ": " + d);
    }
}
