package dev.restoreshim.grpc;

import dev.restoreshim.sys.UnixSocketFile;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A grpc-java server on a Unix domain socket: epoll transport, calls on virtual threads, stale
 * socket removed before bind and the socket file restricted to mode 0600 after.
 */
final class GrpcSocketServer {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcSocketServer.class);

    private final Path socket;
    private final Server server;
    private final EventLoopGroup ownedGroup;
    private final ExecutorService executor;

    private GrpcSocketServer(Path socket, Server server, EventLoopGroup ownedGroup, ExecutorService executor) {
        this.socket = socket;
        this.server = server;
        this.ownedGroup = ownedGroup;
        this.executor = executor;
    }

    /**
     * Binds and starts.
     *
     * @param group shared epoll event loop group, or null for an own one-thread group
     */
    static GrpcSocketServer start(Path socket, List<ServerServiceDefinition> services, EventLoopGroup group)
            throws IOException {
        DomainSocketLogNoise.silence();
        UnixSocketFile.prepareForBind(socket);
        EventLoopGroup loops = group != null ? group : new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        var builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(loops)
                .workerEventLoopGroup(loops)
                .executor(executor);
        services.forEach(builder::addService);
        try {
            Server server = builder.build().start();
            UnixSocketFile.restrictToOwner(socket);
            return new GrpcSocketServer(socket, server, group == null ? loops : null, executor);
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            if (group == null) {
                loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            }
            throw new IOException("cannot serve gRPC on " + socket + ": " + e.getMessage(), e);
        }
    }

    Path socket() {
        return socket;
    }

    Server server() {
        return server;
    }

    /**
     * Stops accepting calls, waits up to {@code drain} for running ones, then cancels the rest and
     * removes the socket file.
     *
     * @return true if all calls finished in time
     */
    boolean shutdown(Duration drain) {
        server.shutdown();
        boolean drained;
        try {
            drained = server.awaitTermination(drain.toNanos(), TimeUnit.NANOSECONDS);
            if (!drained) {
                server.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
            drained = false;
        }
        executor.shutdown();
        if (ownedGroup != null) {
            ownedGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("event=grpc_socket_not_removed path={} reason=\"{}\"", socket, e.getMessage());
        }
        LOG.info("event=grpc_server_stopped path={} drained={}", socket, drained);
        return drained;
    }
}
