package dev.restoreshim.grpc;

import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's gRPC socket: {@code grpc.health.v1.Health} from a {@link HealthStatusManager},
 * server reflection ({@code grpc.reflection.v1.ServerReflection}, so {@code grpcurl} works without
 * .proto files), and any extra admin services. On shutdown the health manager enters its terminal
 * state (every service NOT_SERVING) before the server stops.
 */
public final class AdminEndpoint implements AutoCloseable {
    private final GrpcSocketServer server;
    private final HealthStatusManager health;

    private AdminEndpoint(GrpcSocketServer server, HealthStatusManager health) {
        this.server = server;
        this.health = health;
    }

    /**
     * Binds {@code socket} and starts serving health, reflection and {@code extra}.
     *
     * @param group shared epoll event loop group (the caller shuts it down), or null for an own one
     */
    public static AdminEndpoint start(Path socket, HealthStatusManager health, List<BindableService> extra,
            EventLoopGroup group) throws IOException {
        var services = new ArrayList<ServerServiceDefinition>();
        services.add(health.getHealthService().bindService());
        services.add(ProtoReflectionServiceV1.newInstance().bindService());
        for (BindableService s : extra) {
            services.add(ServerInterceptors.intercept(s, new StatusMappingInterceptor()));
        }
        return new AdminEndpoint(GrpcSocketServer.start(socket, services, group), health);
    }

    public Path socket() {
        return server.socket();
    }

    /** Reports NOT_SERVING for everything, then stops like {@link TaskEndpoint#shutdown(Duration)}. */
    public boolean shutdown(Duration drain) {
        health.enterTerminalState();
        return server.shutdown(drain);
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
