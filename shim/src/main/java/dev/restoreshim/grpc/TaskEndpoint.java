package dev.restoreshim.grpc;

import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Serves the Task service ({@code containerd.task.v3.Task}) to containerd over gRPC on a Unix
 * socket. containerd expects the socket path (not a {@code unix://} URL) in the JSON that
 * {@code start} prints. Each call runs on a virtual thread with {@link CallNamespaceInterceptor}
 * and {@link StatusMappingInterceptor} applied.
 */
public final class TaskEndpoint implements AutoCloseable {
    private final GrpcSocketServer server;

    private TaskEndpoint(GrpcSocketServer server) {
        this.server = server;
    }

    /**
     * Binds {@code socket} and starts serving {@code task}.
     *
     * @param group shared epoll event loop group (the caller shuts it down), or null for an own one
     */
    public static TaskEndpoint start(Path socket, BindableService task, EventLoopGroup group) throws IOException {
        var definition = ServerInterceptors.intercept(task, new StatusMappingInterceptor(), new CallNamespaceInterceptor());
        return new TaskEndpoint(GrpcSocketServer.start(socket, List.of(definition), group));
    }

    public Path socket() {
        return server.socket();
    }

    /** Stops accepting, drains running calls for up to {@code drain}, removes the socket. */
    public boolean shutdown(Duration drain) {
        return server.shutdown(drain);
    }

    /** {@link #shutdown(Duration)} with a 5 second drain. */
    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
