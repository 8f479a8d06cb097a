package dev.restoreshim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.util.Objects;

/**
 * One TTRPC frame: header fields plus its data. Immutable apart from the reference count of the
 * data, which the frame owns: whoever receives a frame releases it (the decoder hands out retained
 * slices, the encoder releases what it writes).
 */
public final class TtrpcFrame extends DefaultByteBufHolder {
    private final int streamId;
    private final TtrpcMessageType type;
    private final byte flags;

    /**
     * @param streamId stream id, an unsigned 32-bit value kept in an int (odd for client streams)
     * @param type     message type
     * @param flags    flag bits, see {@link TtrpcFlag}
     * @param data     the frame data; ownership passes to the frame
     */
    public TtrpcFrame(int streamId, TtrpcMessageType type, byte flags, ByteBuf data) {
        super(Objects.requireNonNull(data, "data"));
        this.streamId = streamId;
        this.type = Objects.requireNonNull(type, "type");
        this.flags = flags;
    }

    /** The stream id as an unsigned 32-bit value stored in an int. */
    public int streamId() {
        return streamId;
    }

    public TtrpcMessageType type() {
        return type;
    }

    public byte flags() {
        return flags;
    }

    /** Whether a flag is set. */
    public boolean has(TtrpcFlag flag) {
        return flag.isSet(flags);
    }

    @Override
    public TtrpcFrame replace(ByteBuf content) {
        return new TtrpcFrame(streamId, type, flags, content);
    }

    @Override
    public TtrpcFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public TtrpcFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TtrpcFrame f && f.streamId == streamId && f.type == type && f.flags == flags
                && super.equals(o);
    }

    @Override
    public int hashCode() {
        return Objects.hash(streamId, type, flags, super.hashCode());
    }

    @Override
    public String toString() {
        return "TtrpcFrame{stream=" + Integer.toUnsignedString(streamId) + ", type=" + type
                + ", flags=0x" + Integer.toHexString(flags & 0xff) + ", length=" + content().readableBytes() + "}";
    }
}
