package dev.restoreshim.it;

import dev.restoreshim.proto.cri.ImageServiceGrpc;
import dev.restoreshim.proto.cri.RuntimeServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A CRI client over containerd's gRPC Unix socket (grpc-netty on epoll), the way the kubelet
 * talks to it. Every call gets its own deadline: {@link #runtime()} and {@link #images()} return
 * stubs whose deadline starts when they are called.
 */
public final class CriClient implements AutoCloseable {

    /** Deadline for ordinary calls. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);

    private final EventLoopGroup group;
    private final ManagedChannel channel;
    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
    private final ImageServiceGrpc.ImageServiceBlockingStub images;

    /** Opens a channel to the containerd gRPC socket {@code socket}. */
    public CriClient(Path socket) {
        this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .overrideAuthority("localhost")
                .maxInboundMessageSize(16 << 20)
                .build();
        this.runtime = RuntimeServiceGrpc.newBlockingStub(channel);
        this.images = ImageServiceGrpc.newBlockingStub(channel);
    }

    /** The runtime service with a fresh {@link #DEFAULT_DEADLINE}. */
    public RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return runtime(DEFAULT_DEADLINE);
    }

    /** The runtime service with a fresh deadline. */
    public RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime(Duration deadline) {
        return runtime.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The image service with a fresh deadline of two minutes. */
    public ImageServiceGrpc.ImageServiceBlockingStub images() {
        return images.withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
