package dev.restoreshim.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.restoreshim.proto.ttrpc.Response;
import io.grpc.Status;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One client connection: its stream id counter and the calls waiting for a response. */
final class TtrpcClientConnection {
    private final Channel channel;
    private final Handler handler;
    /** Next stream id; only touched under the client's lock. */
    private long nextStreamId = 1;

    TtrpcClientConnection(Channel channel, Handler handler) {
        this.channel = channel;
        this.handler = handler;
    }

    Channel channel() {
        return channel;
    }

    long peekStreamId() {
        return nextStreamId;
    }

    long nextStreamId() {
        long id = nextStreamId;
        nextStreamId += 2;
        return id;
    }

    CompletableFuture<Response> register(int streamId) {
        var answer = new CompletableFuture<Response>();
        handler.pending.put(streamId, answer);
        answer.whenComplete((r, e) -> handler.pending.remove(streamId, answer));
        if (!channel.isActive()) {
            handler.failAll(Status.UNAVAILABLE.withDescription("ttrpc connection to " + handler.socket + " closed"));
        }
        return answer;
    }

    void fail(int streamId, Status status) {
        handler.fail(streamId, status);
    }

    /** Matches responses to waiting calls by stream id. */
    static final class Handler extends SimpleChannelInboundHandler<TtrpcFrame> {
        private static final Logger LOG = LoggerFactory.getLogger(TtrpcClientConnection.class);

        private final Path socket;
        private final Map<Integer, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();

        Handler(Path socket) {
            this.socket = socket;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TtrpcFrame frame) {
            if (frame.type() != TtrpcMessageType.RESPONSE) {
                LOG.debug("event=ttrpc_client_frame_ignored stream={} type={}",
                        Integer.toUnsignedString(frame.streamId()), frame.type());
                return;
            }
            CompletableFuture<Response> answer = pending.remove(frame.streamId());
            if (answer == null) {
                LOG.debug("event=ttrpc_late_response stream={}", Integer.toUnsignedString(frame.streamId()));
                return;
            }
            try {
                answer.complete(Response.parseFrom(ByteBufUtil.getBytes(frame.content())));
            } catch (InvalidProtocolBufferException e) {
                answer.completeExceptionally(Status.INTERNAL.withDescription("cannot parse ttrpc response from "
                        + socket + ": " + e.getMessage()).asException());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TtrpcProtocolException e) {
                if (e.violation() == TtrpcProtocolException.Violation.FRAME_TOO_LARGE && e.isResponse()) {
                    fail(e.streamId(), Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()));
                } else {
                    LOG.debug("event=ttrpc_client_protocol_error socket={} reason=\"{}\"", socket, e.getMessage());
                }
                return;
            }
            LOG.debug("event=ttrpc_client_connection_error socket={} reason=\"{}\"", socket, cause.toString());
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            failAll(Status.UNAVAILABLE.withDescription("ttrpc connection to " + socket + " closed"));
            super.channelInactive(ctx);
        }

        void fail(int streamId, Status status) {
            CompletableFuture<Response> answer = pending.remove(streamId);
            if (answer != null) {
                answer.completeExceptionally(status.asException());
            }
        }

        void failAll(Status status) {
            for (Integer id : pending.keySet()) {
                fail(id, status);
            }
        }
    }
}
