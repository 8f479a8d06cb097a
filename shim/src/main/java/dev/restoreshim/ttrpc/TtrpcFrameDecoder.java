package dev.restoreshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Decodes TTRPC frames. Each frame is a 10-byte big-endian header followed by its data:
 *
 * <pre>
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * |                     Data Length (u32, BE)                     |  bytes 0..3
 * +---------------+---------------+---------------+---------------+
 * |                      Stream ID (u32, BE)                      |  bytes 4..7
 * +---------------+---------------+---------------+---------------+
 * | Msg Type (u8) |   Flags (u8)  |  Data (Data Length bytes) ...    bytes 8, 9, 10..
 * +---------------+---------------+-------------------------------
 *
 * BEFORE DECODE (16 bytes)                           AFTER DECODE
 * +--------+--------+------+-------+--------+        TtrpcFrame{stream=1, type=REQUEST,
 * | 000006 | 000001 | 0x01 | 0x00  | "HELLO!" |  --->           flags=0, data="HELLO!"}
 * +--------+--------+------+-------+--------+
 * </pre>
 *
 * <p>A frame is emitted only once all its data is buffered, as a retained slice of the input (no
 * copy). The length is checked against {@link #MAX_DATA_LENGTH} as soon as the header is read,
 * before any data is buffered: an oversized frame is reported at once (fail-fast) with a
 * {@link TtrpcProtocolException} naming the actual and maximum length, then its data is skipped as
 * it arrives, and the next frame decodes normally. This mirrors containerd/ttrpc, which discards
 * the data and answers the stream with RESOURCE_EXHAUSTED. A frame of unknown type is skipped the
 * same way (Go's server ignores such frames for forward compatibility). Recoverable violations are
 * passed down the pipeline with {@code fireExceptionCaught} rather than thrown, so frames already
 * buffered behind them still decode in the same read. A connection that ends inside a frame is
 * reported as {@link TtrpcProtocolException.Violation#TRUNCATED}.
 */
public final class TtrpcFrameDecoder extends ByteToMessageDecoder {
    /** Header length in bytes. */
    public static final int HEADER_LENGTH = 10;
    /** Largest data length the protocol allows: 4 MiB. */
    public static final int MAX_DATA_LENGTH = 4 << 20;

    private enum State { HEADER, DATA, DISCARD }

    private State state = State.HEADER;
    private long dataLength;
    private long discardRemaining;
    private int streamId;
    private byte type;
    private byte flags;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case HEADER -> decodeHeader(ctx, in);
            case DATA -> decodeData(in, out);
            case DISCARD -> discard(in);
        }
    }

    private void decodeHeader(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < HEADER_LENGTH) {
            return;
        }
        dataLength = in.readUnsignedInt();
        streamId = in.readInt();
        type = in.readByte();
        flags = in.readByte();
        if (dataLength > MAX_DATA_LENGTH) {
            failOnFrameTooLarge(ctx);
        } else if (!TtrpcMessageType.isKnown(type)) {
            failOnUnknownType(ctx);
        } else {
            state = State.DATA;
        }
    }

    private void decodeData(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < dataLength) {
            return;
        }
        ByteBuf data = in.readRetainedSlice((int) dataLength);
        state = State.HEADER;
        out.add(new TtrpcFrame(streamId, TtrpcMessageType.valueOf(type), flags, data));
    }

    private void discard(ByteBuf in) {
        int n = (int) Math.min(in.readableBytes(), discardRemaining);
        in.skipBytes(n);
        discardRemaining -= n;
        if (discardRemaining == 0) {
            state = State.HEADER;
        }
    }

    private void failOnFrameTooLarge(ChannelHandlerContext ctx) {
        startDiscard();
        ctx.fireExceptionCaught(new TtrpcProtocolException(TtrpcProtocolException.Violation.FRAME_TOO_LARGE,
                streamId, type, "ttrpc frame too large: stream %s, length: %d (expected: <= %d)"
                        .formatted(Integer.toUnsignedString(streamId), dataLength, MAX_DATA_LENGTH)));
    }

    private void failOnUnknownType(ChannelHandlerContext ctx) {
        startDiscard();
        ctx.fireExceptionCaught(new TtrpcProtocolException(TtrpcProtocolException.Violation.UNKNOWN_TYPE,
                streamId, type, "unknown ttrpc message type: 0x%02x on stream %s (expected: 0x01..0x03)"
                        .formatted(type & 0xff, Integer.toUnsignedString(streamId))));
    }

    private void startDiscard() {
        discardRemaining = dataLength;
        state = discardRemaining == 0 ? State.HEADER : State.DISCARD;
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state == State.DATA || in.isReadable()) {
            long have = state == State.DATA ? in.readableBytes() : 0;
            int headerBytes = state == State.DATA ? HEADER_LENGTH : in.readableBytes();
            in.skipBytes(in.readableBytes());
            state = State.HEADER;
            throw new TtrpcProtocolException(TtrpcProtocolException.Violation.TRUNCATED, streamId, type,
                    "ttrpc connection closed inside a frame: header %d of %d bytes, data %d of %s bytes"
                            .formatted(headerBytes, HEADER_LENGTH, have,
                                    headerBytes == HEADER_LENGTH ? Long.toString(dataLength) : "?"));
        }
    }
}
