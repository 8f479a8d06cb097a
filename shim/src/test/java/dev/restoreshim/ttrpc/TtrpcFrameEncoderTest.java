package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import org.junit.jupiter.api.Test;

class TtrpcFrameEncoderTest {

    private static byte[] written(EmbeddedChannel ch) {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            all.writeBytes(b);
            b.release();
        }
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        return bytes;
    }

    @Test
    void writesHeaderThenData() {
        var ch = new EmbeddedChannel(new TtrpcFrameEncoder());
        var data = Unpooled.wrappedBuffer("HELLO!".getBytes());
        ch.writeOutbound(new TtrpcFrame(0x01020304, TtrpcMessageType.RESPONSE, TtrpcFlag.REMOTE_CLOSED.byteValue(), data));
        assertArrayEquals(new byte[] {0, 0, 0, 6, 1, 2, 3, 4, 2, 1, 'H', 'E', 'L', 'L', 'O', '!'}, written(ch));
        assertEquals(0, data.refCnt(), "encoder released the frame");
        assertFalse(ch.finish());
    }

    @Test
    void roundTripsThroughDecoder() {
        var ch = new EmbeddedChannel(new TtrpcFrameEncoder(), new TtrpcFrameDecoder());
        ch.writeOutbound(new TtrpcFrame(-1, TtrpcMessageType.DATA, TtrpcFlag.NO_DATA.byteValue(), Unpooled.EMPTY_BUFFER));
        ch.writeInbound(Unpooled.wrappedBuffer(written(ch)));
        TtrpcFrame f = ch.readInbound();
        assertEquals(new TtrpcFrame(-1, TtrpcMessageType.DATA, (byte) 4, Unpooled.EMPTY_BUFFER), f);
        f.release();
        assertFalse(ch.finish());
    }

    @Test
    void refusesOversizedData() {
        var ch = new EmbeddedChannel(new TtrpcFrameEncoder());
        var data = Unpooled.buffer(TtrpcFrameDecoder.MAX_DATA_LENGTH + 1).writerIndex(TtrpcFrameDecoder.MAX_DATA_LENGTH + 1);
        var e = assertThrows(EncoderException.class,
                () -> ch.writeOutbound(new TtrpcFrame(1, TtrpcMessageType.REQUEST, (byte) 0, data)));
        assertEquals(TtrpcProtocolException.class, e.getClass().equals(TtrpcProtocolException.class)
                ? e.getClass() : e.getCause().getClass());
        assertEquals(0, data.refCnt());
        assertFalse(ch.finish());
    }
}
