/**
 * TTRPC, containerd's lightweight RPC protocol, on Netty epoll Unix domain sockets.
 *
 * <p>The wire format is described in containerd/ttrpc {@code PROTOCOL.md}: a 10-byte frame header
 * ({@link dev.restoreshim.ttrpc.TtrpcFrameDecoder} draws it) followed by at most 4 MiB of data,
 * which for a {@link dev.restoreshim.ttrpc.TtrpcMessageType#REQUEST} is a {@code ttrpc.Request}
 * and for a {@link dev.restoreshim.ttrpc.TtrpcMessageType#RESPONSE} a {@code ttrpc.Response}.
 *
 * <p>Roles: {@link dev.restoreshim.ttrpc.TtrpcFrameDecoder} and
 * {@link dev.restoreshim.ttrpc.TtrpcFrameEncoder} turn bytes into frames and back;
 * {@link dev.restoreshim.ttrpc.TtrpcDispatcher} runs grpc-java service definitions for a request;
 * {@link dev.restoreshim.ttrpc.TtrpcServer} accepts containerd's connections;
 * {@link dev.restoreshim.ttrpc.TtrpcClient} calls containerd, which
 * {@link dev.restoreshim.ttrpc.TtrpcEventSink} uses to forward task events. Only unary calls are
 * supported: every containerd Task method is unary.
 */
package dev.restoreshim.ttrpc;
