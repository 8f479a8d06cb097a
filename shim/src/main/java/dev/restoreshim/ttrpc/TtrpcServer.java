package dev.restoreshim.ttrpc;

import dev.restoreshim.sys.UnixSocketFile;
import io.grpc.Status;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TTRPC server on a Unix domain socket (Netty epoll). On start it removes a stale socket file
 * (refusing one a live server still listens on), binds, and restricts the file to mode 0600. Each
 * accepted connection must come from the same uid as this process ({@code SO_PEERCRED}, like Go
 * ttrpc's {@code UnixSocketRequireSameUser}); others are closed at once.
 *
 * <p>{@link #shutdown(Duration)} stops accepting, answers new requests UNAVAILABLE, waits for
 * in-flight calls up to the timeout, then closes every connection (cancelling what still runs).
 */
public final class TtrpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TtrpcServer.class);
    private static final TtrpcFrameEncoder ENCODER = new TtrpcFrameEncoder();

    private final Path socket;
    private final TtrpcDispatcher dispatcher;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Channel serverChannel;
    private final ChannelGroup connections = new DefaultChannelGroup("ttrpc-connections", GlobalEventExecutor.INSTANCE);
    private volatile boolean draining;

    private TtrpcServer(Path socket, TtrpcDispatcher dispatcher, EventLoopGroup group, boolean ownsGroup, int peerUid)
            throws IOException {
        this.socket = socket;
        this.dispatcher = dispatcher;
        this.group = group;
        this.ownsGroup = ownsGroup;
        UnixSocketFile.prepareForBind(socket);
        var bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel ch) {
                        if (admit(ch, peerUid)) {
                            connections.add(ch);
                            ch.pipeline().addLast(new TtrpcFrameDecoder(), ENCODER,
                                    new TtrpcServerHandler(dispatcher, () -> draining));
                        }
                    }
                });
        try {
            serverChannel = bootstrap.bind(new DomainSocketAddress(socket.toString())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding ttrpc socket " + socket, e);
        } catch (RuntimeException e) {
            throw new IOException("cannot bind ttrpc socket " + socket + ": " + e.getMessage(), e);
        }
        UnixSocketFile.restrictToOwner(socket);
    }

    /**
     * Starts a server with its own one-thread event loop, admitting peers with this process's uid.
     */
    public static TtrpcServer start(Path socket, TtrpcDispatcher dispatcher) throws IOException {
        var group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            return new TtrpcServer(socket, dispatcher, group, true, UnixSocketFile.currentUid());
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /**
     * Starts a server on a shared epoll event loop group, which the caller shuts down.
     *
     * @param peerUid the uid every connecting peer must have
     */
    public static TtrpcServer start(Path socket, TtrpcDispatcher dispatcher, EventLoopGroup group, int peerUid)
            throws IOException {
        return new TtrpcServer(Objects.requireNonNull(socket, "socket"), Objects.requireNonNull(dispatcher, "dispatcher"),
                Objects.requireNonNull(group, "group"), false, peerUid);
    }

    private static boolean admit(EpollDomainSocketChannel ch, int peerUid) {
        try {
            PeerCredentials creds = ch.peerCredentials();
            if (creds.uid() == peerUid) {
                return true;
            }
            LOG.warn("event=ttrpc_peer_refused peer_uid={} peer_pid={} required_uid={}", creds.uid(), creds.pid(), peerUid);
        } catch (IOException e) {
            LOG.warn("event=ttrpc_peer_refused reason=\"cannot read SO_PEERCRED: {}\"", e.getMessage());
        }
        ch.close();
        return false;
    }

    /** The socket path. */
    public Path socket() {
        return socket;
    }

    /** The address as containerd expects it from {@code start}: {@code unix://<path>}. */
    public String address() {
        return "unix://" + socket;
    }

    /** Number of open connections. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops accepting, waits up to {@code drain} for in-flight calls, then closes all connections
     * and removes the socket file. Idempotent.
     *
     * @return true if every call finished within the timeout
     */
    public boolean shutdown(Duration drain) {
        boolean first = !draining;
        draining = true;
        serverChannel.close().syncUninterruptibly();
        boolean drained;
        try {
            drained = dispatcher.awaitIdle(drain);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        if (!drained) {
            LOG.warn("event=ttrpc_drain_timeout in_flight={} timeout_ms={}", dispatcher.inFlight(), drain.toMillis());
        }
        for (Channel c : connections) {
            var handler = c.pipeline().get(TtrpcServerHandler.class);
            if (handler != null) {
                handler.cancelAll(Status.UNAVAILABLE.withDescription("ttrpc server shut down"));
            }
        }
        connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (first) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.warn("event=ttrpc_socket_not_removed path={} reason=\"{}\"", socket, e.getMessage());
            }
            LOG.info("event=ttrpc_server_stopped path={} drained={}", socket, drained);
        }
        return drained;
    }

    /** {@link #shutdown(Duration)} with a 5 second drain. */
    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
