package dev.restoreshim.grpc;

import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.AsciiString;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plaintext gRPC that first checks the connecting peer's uid ({@code SO_PEERCRED}), like the
 * TTRPC server does: a peer with another uid is closed before HTTP/2 starts. grpc-netty exposes no
 * peer credentials, so this wraps its plaintext negotiator through grpc's {@code Internal*} API,
 * which may change between grpc releases; {@code GrpcEndpointTest} covers it.
 */
final class PeerUidNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    private static final Logger LOG = LoggerFactory.getLogger(PeerUidNegotiator.class);

    private final InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.serverPlaintext();
    private final int requiredUid;

    PeerUidNegotiator(int requiredUid) {
        this.requiredUid = requiredUid;
    }

    @Override
    public AsciiString scheme() {
        return plaintext.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
        ChannelHandler next = plaintext.newHandler(grpcHandler);
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                if (admit(ctx)) {
                    ctx.pipeline().replace(this, null, next);
                } else {
                    ctx.close();
                }
            }
        };
    }

    private boolean admit(ChannelHandlerContext ctx) {
        if (!(ctx.channel() instanceof EpollDomainSocketChannel ch)) {
            LOG.warn("event=grpc_peer_refused reason=\"not a unix domain socket: {}\"", ctx.channel().getClass().getSimpleName());
            return false;
        }
        try {
            PeerCredentials creds = ch.peerCredentials();
            if (creds.uid() == requiredUid) {
                return true;
            }
            LOG.warn("event=grpc_peer_refused peer_uid={} peer_pid={} required_uid={}", creds.uid(), creds.pid(), requiredUid);
        } catch (IOException e) {
            LOG.warn("event=grpc_peer_refused reason=\"cannot read SO_PEERCRED: {}\"", e.getMessage());
        }
        return false;
    }

    @Override
    public void close() {
        plaintext.close();
    }
}
