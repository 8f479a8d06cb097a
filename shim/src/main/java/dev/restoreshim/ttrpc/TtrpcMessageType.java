package dev.restoreshim.ttrpc;

/** The TTRPC message types, with their wire byte. */
public enum TtrpcMessageType {
    /** Starts a stream; carries a {@code ttrpc.Request}. */
    REQUEST((byte) 0x01),
    /** Ends a stream; carries a {@code ttrpc.Response}. */
    RESPONSE((byte) 0x02),
    /** Stream data on an open (non-unary) stream. */
    DATA((byte) 0x03);

    private final byte byteValue;

    TtrpcMessageType(byte byteValue) {
        this.byteValue = byteValue;
    }

    /** The type byte on the wire. */
    public byte byteValue() {
        return byteValue;
    }

    /**
     * The type for a wire byte.
     *
     * @throws IllegalArgumentException for a byte that names no type
     */
    public static TtrpcMessageType valueOf(byte b) {
        return switch (b) {
            case 0x01 -> REQUEST;
            case 0x02 -> RESPONSE;
            case 0x03 -> DATA;
            default -> throw new IllegalArgumentException(
                    "unknown ttrpc message type: 0x%02x (expected: 0x01..0x03)".formatted(b & 0xff));
        };
    }

    /** Whether a wire byte names a known type. */
    public static boolean isKnown(byte b) {
        return b >= 0x01 && b <= 0x03;
    }
}
