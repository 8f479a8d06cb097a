package dev.restoreshim.ttrpc;

import io.netty.handler.codec.DecoderException;

/**
 * The one failure of the TTRPC codec: a frame that breaks the protocol. It names the stream and
 * frame type it was read from, so a server can still answer that stream the way Go's ttrpc does
 * (RESOURCE_EXHAUSTED for an oversized request), and a {@link Violation} that tells whether the
 * connection can go on.
 */
public final class TtrpcProtocolException extends DecoderException {
    /** What the peer did wrong. */
    public enum Violation {
        /** Data longer than the 4 MiB maximum; its bytes are skipped and the connection goes on. */
        FRAME_TOO_LARGE,
        /** A message type this side does not know; the frame is skipped, as Go's server does. */
        UNKNOWN_TYPE,
        /** The connection ended in the middle of a frame. */
        TRUNCATED
    }

    private final Violation violation;
    private final int streamId;
    private final byte frameType;

    /**
     * @param violation what went wrong
     * @param streamId  stream id from the frame header (unsigned 32-bit in an int)
     * @param frameType raw type byte from the frame header
     * @param message   what happened, with actual and expected values
     */
    public TtrpcProtocolException(Violation violation, int streamId, byte frameType, String message) {
        super(message);
        this.violation = violation;
        this.streamId = streamId;
        this.frameType = frameType;
    }

    public Violation violation() {
        return violation;
    }

    /** The stream id of the offending frame (unsigned 32-bit in an int). */
    public int streamId() {
        return streamId;
    }

    /** The raw type byte of the offending frame. */
    public byte frameType() {
        return frameType;
    }

    /** Whether the offending frame was a request, so the server can answer its stream. */
    public boolean isRequest() {
        return frameType == TtrpcMessageType.REQUEST.byteValue();
    }

    /** Whether the frame was a response, so a client can fail the call waiting on its stream. */
    public boolean isResponse() {
        return frameType == TtrpcMessageType.RESPONSE.byteValue();
    }
}
