package dev.restoreshim.ttrpc;

import com.google.protobuf.ByteString;
import dev.restoreshim.proto.ttrpc.KeyValue;
import dev.restoreshim.proto.ttrpc.Request;
import dev.restoreshim.proto.ttrpc.Response;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TTRPC client for unary calls over one Unix socket connection. Calls from many threads share
 * the connection, each on its own odd stream id (1, 3, 5, ...); responses may arrive in any
 * order. Go's server requires ids to increase, so an id is taken and its request written under
 * one lock. A lost connection fails its pending calls with UNAVAILABLE and the next call dials
 * again. Every call has a timeout, sent as {@code timeout_nano} and enforced locally with
 * DEADLINE_EXCEEDED.
 */
public final class TtrpcClient implements AutoCloseable {
    private static final TtrpcFrameEncoder ENCODER = new TtrpcFrameEncoder();
    private static final long MAX_STREAM_ID = 0xFFFF_FFFFL;

    private final Path socket;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Duration connectTimeout;

    /** Guards {@link #connection}, {@link #closed}, stream id allocation and request writes. */
    private final ReentrantLock lock = new ReentrantLock();
    private TtrpcClientConnection connection;
    private boolean closed;

    /** A client with its own one-thread event loop and a 5 second connect timeout. */
    public TtrpcClient(Path socket) {
        this(socket, new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()), true, Duration.ofSeconds(5));
    }

    /** A client on a shared epoll event loop group, which the caller shuts down. */
    public TtrpcClient(Path socket, EventLoopGroup group, Duration connectTimeout) {
        this(socket, group, false, connectTimeout);
    }

    private TtrpcClient(Path socket, EventLoopGroup group, boolean ownsGroup, Duration connectTimeout) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.group = Objects.requireNonNull(group, "group");
        this.ownsGroup = ownsGroup;
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
    }

    /** The socket this client dials. */
    public Path socket() {
        return socket;
    }

    /**
     * Calls a unary method described by a grpc-java descriptor, for example
     * {@code EventsGrpc.getForwardMethod()}.
     *
     * @param metadata TTRPC metadata, for example {@code containerd-namespace-ttrpc}
     * @throws StatusException with the server's status, UNAVAILABLE when the connection failed,
     *                         or DEADLINE_EXCEEDED when no answer came within {@code timeout}
     */
    public <Q, R> R call(MethodDescriptor<Q, R> method, Q request, Duration timeout, Map<String, String> metadata)
            throws StatusException {
        ByteString payload;
        try (InputStream in = method.streamRequest(request)) {
            payload = ByteString.readFrom(in);
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot serialize " + method.getFullMethodName() + " request")
                    .withCause(e).asException();
        }
        Response response = call(method.getServiceName(), method.getBareMethodName(), payload, timeout, metadata);
        if (response.getStatus().getCode() != Status.Code.OK.value()) {
            throw Status.fromCodeValue(response.getStatus().getCode())
                    .withDescription(response.getStatus().getMessage()).asException();
        }
        try (InputStream in = response.getPayload().newInput()) {
            return method.parseResponse(in);
        } catch (IOException | RuntimeException e) {
            throw Status.INTERNAL.withDescription("cannot parse " + method.getFullMethodName() + " response: "
                    + e.getMessage()).asException();
        }
    }

    /**
     * Sends one request and waits for its response, whatever its status.
     *
     * @throws StatusException UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (request too
     *                         large) or CANCELLED when interrupted
     */
    public Response call(String service, String method, ByteString payload, Duration timeout, Map<String, String> metadata)
            throws StatusException {
        var request = Request.newBuilder().setService(service).setMethod(method).setPayload(payload)
                .setTimeoutNano(timeout.toNanos());
        metadata.forEach((k, v) -> request.addMetadata(KeyValue.newBuilder().setKey(k).setValue(v)));
        byte[] bytes = request.build().toByteArray();
        if (bytes.length > TtrpcFrameDecoder.MAX_DATA_LENGTH) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("ttrpc request %s/%s too large: %d bytes (expected: <= %d)"
                    .formatted(service, method, bytes.length, TtrpcFrameDecoder.MAX_DATA_LENGTH)).asException();
        }
        CompletableFuture<Response> answer = send(bytes, service + "/" + method);
        try {
            return answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            answer.cancel(false);
            throw Status.DEADLINE_EXCEEDED.withDescription("ttrpc call %s/%s got no answer within %d ms"
                    .formatted(service, method, timeout.toMillis())).asException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer.cancel(false);
            throw Status.CANCELLED.withDescription("interrupted").asException();
        } catch (ExecutionException e) {
            throw Status.fromThrowable(e.getCause()).asException();
        }
    }

    private CompletableFuture<Response> send(byte[] request, String what) throws StatusException {
        lock.lock();
        try {
            if (closed) {
                throw Status.UNAVAILABLE.withDescription("ttrpc client for " + socket + " is closed").asException();
            }
            TtrpcClientConnection conn = connectionLocked();
            if (conn.peekStreamId() > MAX_STREAM_ID) {
                conn.channel().close().awaitUninterruptibly(1, TimeUnit.SECONDS);
                connection = null;
                conn = connectionLocked();
            }
            long id = conn.nextStreamId();
            int streamId = (int) id;
            CompletableFuture<Response> answer = conn.register(streamId);
            TtrpcClientConnection sending = conn;
            conn.channel().writeAndFlush(new TtrpcFrame(streamId, TtrpcMessageType.REQUEST, (byte) 0,
                    Unpooled.wrappedBuffer(request))).addListener(f -> {
                        if (!f.isSuccess()) {
                            sending.fail(streamId, Status.UNAVAILABLE.withDescription("ttrpc call " + what
                                    + " could not be sent to " + socket + ": " + f.cause().getMessage()));
                        }
                    });
            return answer;
        } finally {
            lock.unlock();
        }
    }

    private TtrpcClientConnection connectionLocked() throws StatusException {
        if (connection != null && connection.channel().isActive()) {
            return connection;
        }
        var handler = new TtrpcClientConnection.Handler(socket);
        ChannelFuture connect = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new TtrpcFrameDecoder(), ENCODER, handler);
                    }
                })
                .connect(new DomainSocketAddress(socket.toString()));
        if (!connect.awaitUninterruptibly(connectTimeout.toMillis() + 1000) || !connect.isSuccess()) {
            connect.channel().close();
            Throwable cause = connect.cause();
            throw Status.UNAVAILABLE.withDescription("cannot connect to ttrpc socket " + socket + ": "
                    + (cause == null ? "timed out" : cause.getMessage())).withCause(cause).asException();
        }
        connection = new TtrpcClientConnection(connect.channel(), handler);
        return connection;
    }

    /** Closes the connection, failing pending calls with UNAVAILABLE. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            if (connection != null) {
                connection.channel().close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
        } finally {
            lock.unlock();
        }
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
