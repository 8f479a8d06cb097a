package dev.restoreshim.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.restoreshim.proto.ttrpc.Request;
import dev.restoreshim.proto.ttrpc.Response;
import io.grpc.Status;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of one TTRPC connection: checks stream ids the way Go's server does (odd,
 * strictly increasing), hands requests to the {@link TtrpcDispatcher}, writes each response on
 * its request's stream, and cancels the connection's running calls when it closes.
 */
final class TtrpcServerHandler extends SimpleChannelInboundHandler<TtrpcFrame> {
    private static final Logger LOG = LoggerFactory.getLogger(TtrpcServerHandler.class);

    private final TtrpcDispatcher dispatcher;
    private final BooleanSupplier draining;
    /** Running calls by stream id; written by the event loop and by finishing calls. */
    private final Map<Integer, TtrpcDispatcher.TtrpcCall> running = new ConcurrentHashMap<>();
    /** Last request stream id seen; event loop only. */
    private long lastStreamId;

    TtrpcServerHandler(TtrpcDispatcher dispatcher, BooleanSupplier draining) {
        this.dispatcher = dispatcher;
        this.draining = draining;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TtrpcFrame frame) {
        int id = frame.streamId();
        long unsignedId = Integer.toUnsignedLong(id);
        if ((id & 1) == 0) {
            respond(ctx.channel(), id, Status.INVALID_ARGUMENT.withDescription(
                    "StreamID must be odd for client initiated streams"));
            return;
        }
        switch (frame.type()) {
            case DATA -> respond(ctx.channel(), id, Status.INVALID_ARGUMENT.withDescription(
                    "StreamID is no longer active: ttrpc streams are not supported"));
            case RESPONSE -> LOG.debug("event=ttrpc_unexpected_response stream={}", unsignedId);
            case REQUEST -> {
                if (unsignedId <= lastStreamId) {
                    respond(ctx.channel(), id, Status.INVALID_ARGUMENT.withDescription(
                            "StreamID cannot be re-used and must increment"));
                    return;
                }
                lastStreamId = unsignedId;
                request(ctx.channel(), id, frame);
            }
        }
    }

    private void request(Channel channel, int id, TtrpcFrame frame) {
        Request request;
        try {
            request = Request.parseFrom(ByteBufUtil.getBytes(frame.content()));
        } catch (InvalidProtocolBufferException e) {
            respond(channel, id, Status.INVALID_ARGUMENT.withDescription("unmarshal request error: " + e.getMessage()));
            return;
        }
        if (draining.getAsBoolean()) {
            respond(channel, id, Status.UNAVAILABLE.withDescription("ttrpc server is shutting down"));
            return;
        }
        TtrpcDispatcher.TtrpcCall call = dispatcher.dispatch(request, response -> {
            running.remove(id);
            write(channel, id, response);
        });
        if (!call.isDone()) {
            running.put(id, call);
            if (call.isDone()) {
                running.remove(id); // answered before it was registered
            }
        }
    }

    private static void respond(Channel channel, int id, Status status) {
        write(channel, id, TtrpcServerCall.errorResponse(status));
    }

    private static void write(Channel channel, int id, Response response) {
        var frame = new TtrpcFrame(id, TtrpcMessageType.RESPONSE, (byte) 0, Unpooled.wrappedBuffer(response.toByteArray()));
        channel.writeAndFlush(frame).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.debug("event=ttrpc_response_dropped stream={} reason=\"{}\"", Integer.toUnsignedString(id),
                        f.cause().toString());
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TtrpcProtocolException e) {
            switch (e.violation()) {
                case FRAME_TOO_LARGE -> {
                    LOG.warn("event=ttrpc_frame_rejected peer={} reason=\"{}\"", ctx.channel().remoteAddress(), e.getMessage());
                    if (e.isRequest()) {
                        respond(ctx.channel(), e.streamId(), Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()));
                    }
                }
                case UNKNOWN_TYPE -> LOG.debug("event=ttrpc_frame_ignored reason=\"{}\"", e.getMessage());
                case TRUNCATED -> LOG.debug("event=ttrpc_connection_truncated reason=\"{}\"", e.getMessage());
            }
            return;
        }
        if (cause instanceof IOException) {
            LOG.debug("event=ttrpc_connection_error reason=\"{}\"", cause.toString());
        } else {
            LOG.warn("event=ttrpc_connection_error reason=\"{}\"", cause.toString(), cause);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelAll(Status.CANCELLED.withDescription("ttrpc connection closed"));
        super.channelInactive(ctx);
    }

    /** Cancels every running call of this connection. */
    void cancelAll(Status reason) {
        for (var call : running.values()) {
            call.cancel(reason);
        }
        running.clear();
    }
}
