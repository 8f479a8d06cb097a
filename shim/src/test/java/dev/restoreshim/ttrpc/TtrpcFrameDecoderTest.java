package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TtrpcFrameDecoderTest {
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel(new TtrpcFrameDecoder());
    }

    @AfterEach
    void tearDown() {
        assertFalse(channel.finish(), "no frames left over");
    }

    static ByteBuf frame(long length, int streamId, int type, int flags, byte[] data) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt((int) length).writeInt(streamId).writeByte(type).writeByte(flags).writeBytes(data);
        return b;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertFrame(TtrpcFrame f, int stream, TtrpcMessageType type, int flags, String data) {
        try {
            assertEquals(stream, f.streamId());
            assertEquals(type, f.type());
            assertEquals((byte) flags, f.flags());
            assertArrayEquals(bytes(data), ByteBufUtil.getBytes(f.content()));
        } finally {
            f.release();
        }
    }

    @Test
    void decodesWholeFrame() {
        assertTrue(channel.writeInbound(frame(6, 1, 1, 0, bytes("HELLO!"))));
        assertFrame(channel.readInbound(), 1, TtrpcMessageType.REQUEST, 0, "HELLO!");
    }

    @Test
    void decodesOneByteAtATime() {
        ByteBuf in = Unpooled.wrappedBuffer(frame(5, 3, 2, 0, bytes("hello")), frame(0, 5, 3, 4, new byte[0]));
        while (in.isReadable()) {
            channel.writeInbound(in.readRetainedSlice(1));
        }
        in.release();
        assertFrame(channel.readInbound(), 3, TtrpcMessageType.RESPONSE, 0, "hello");
        TtrpcFrame empty = channel.readInbound();
        assertTrue(empty.has(TtrpcFlag.NO_DATA));
        assertFrame(empty, 5, TtrpcMessageType.DATA, 4, "");
        assertNull(channel.readInbound());
    }

    @Test
    void emitsNothingForTruncatedFrameAndReportsItAtClose() {
        ByteBuf whole = frame(6, 7, 1, 0, bytes("HELLO!"));
        assertFalse(channel.writeInbound(whole.retainedSlice(0, 12)));
        whole.release();
        assertNull(channel.readInbound());
        var e = assertThrows(TtrpcProtocolException.class, channel::finish);
        assertEquals(TtrpcProtocolException.Violation.TRUNCATED, e.violation());
        assertTrue(e.getMessage().contains("data 2 of 6 bytes"), e.getMessage());
    }

    @Test
    void reportsTruncatedHeader() {
        assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0})));
        var e = assertThrows(TtrpcProtocolException.class, channel::finish);
        assertTrue(e.getMessage().contains("header 3 of 10 bytes"), e.getMessage());
    }

    @Test
    void rejectsOversizedFrameBeforeBufferingAndDecodesNextFrame() {
        int max = TtrpcFrameDecoder.MAX_DATA_LENGTH;
        // Only the header of the oversized frame arrives: the failure must not wait for its data.
        var e = assertThrows(TtrpcProtocolException.class,
                () -> channel.writeInbound(frame(max + 1L, 9, 1, 0, new byte[0])));
        assertEquals(TtrpcProtocolException.Violation.FRAME_TOO_LARGE, e.violation());
        assertEquals(9, e.streamId());
        assertTrue(e.isRequest());
        assertTrue(e.getMessage().contains("length: " + (max + 1) + " (expected: <= " + max + ")"), e.getMessage());

        // Its data is skipped as it arrives, in pieces, and the frame after it decodes.
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[max / 2]));
        ByteBuf rest = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(new byte[max / 2 + 1]), frame(2, 11, 1, 0, bytes("ok")));
        assertTrue(channel.writeInbound(rest));
        assertFrame(channel.readInbound(), 11, TtrpcMessageType.REQUEST, 0, "ok");
    }

    @Test
    void acceptsFrameOfExactlyMaxLength() {
        int max = TtrpcFrameDecoder.MAX_DATA_LENGTH;
        assertTrue(channel.writeInbound(frame(max, 1, 1, 0, new byte[max])));
        TtrpcFrame f = channel.readInbound();
        assertEquals(max, f.content().readableBytes());
        f.release();
    }

    @Test
    void oversizedFrameInSameReadDoesNotHoldBackFollowingFrame() {
        ByteBuf in = Unpooled.wrappedBuffer(frame(TtrpcFrameDecoder.MAX_DATA_LENGTH + 3L, 1, 1, 0, new byte[TtrpcFrameDecoder.MAX_DATA_LENGTH + 3]),
                frame(1, 3, 1, 0, bytes("x")));
        assertThrows(TtrpcProtocolException.class, () -> channel.writeInbound(in));
        assertFrame(channel.readInbound(), 3, TtrpcMessageType.REQUEST, 0, "x");
    }

    @Test
    void skipsUnknownTypeAndDecodesNextFrame() {
        ByteBuf in = Unpooled.wrappedBuffer(frame(3, 1, 0x7f, 0, bytes("???")), frame(2, 3, 1, 0, bytes("ok")));
        var e = assertThrows(TtrpcProtocolException.class, () -> channel.writeInbound(in));
        assertEquals(TtrpcProtocolException.Violation.UNKNOWN_TYPE, e.violation());
        assertTrue(e.getMessage().contains("0x7f"), e.getMessage());
        assertFrame(channel.readInbound(), 3, TtrpcMessageType.REQUEST, 0, "ok");
    }

    @Test
    void keepsFullUnsignedStreamId() {
        channel.writeInbound(frame(0, 0xFFFF_FFFF, 1, 0, new byte[0]));
        TtrpcFrame f = channel.readInbound();
        assertEquals("4294967295", Integer.toUnsignedString(f.streamId()));
        f.release();
    }
}
