package dev.restoreshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Encodes a {@link TtrpcFrame} as the 10-byte header drawn in {@link TtrpcFrameDecoder} followed by
 * the frame's data, which is passed on without a copy. Data longer than
 * {@link TtrpcFrameDecoder#MAX_DATA_LENGTH} fails the write, as Go's ttrpc refuses to send it;
 * callers check the size first when they can answer with a status instead. Stateless and shared.
 */
@ChannelHandler.Sharable
public final class TtrpcFrameEncoder extends MessageToMessageEncoder<TtrpcFrame> {
    public TtrpcFrameEncoder() {
        super(TtrpcFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, TtrpcFrame frame, List<Object> out) {
        ByteBuf data = frame.content();
        int length = data.readableBytes();
        if (length > TtrpcFrameDecoder.MAX_DATA_LENGTH) {
            throw new TtrpcProtocolException(TtrpcProtocolException.Violation.FRAME_TOO_LARGE, frame.streamId(),
                    frame.type().byteValue(), "ttrpc frame too large to send: stream %s, length: %d (expected: <= %d)"
                            .formatted(Integer.toUnsignedString(frame.streamId()), length,
                                    TtrpcFrameDecoder.MAX_DATA_LENGTH));
        }
        ByteBuf header = ctx.alloc().buffer(TtrpcFrameDecoder.HEADER_LENGTH);
        header.writeInt(length).writeInt(frame.streamId()).writeByte(frame.type().byteValue()).writeByte(frame.flags());
        out.add(header);
        if (length > 0) {
            out.add(data.retain());
        }
    }
}
