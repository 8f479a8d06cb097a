package dev.restoreshim.ttrpc;

/**
 * The flag bits of a TTRPC frame header, with their wire value. A request with no flags is
 * unary; the stream flags matter only to streaming calls, which this package does not serve.
 */
public enum TtrpcFlag {
    /** Request or data: the sender sends no more data on this stream. */
    REMOTE_CLOSED((byte) 0x01),
    /** Request: the sender is still sending data. */
    REMOTE_OPEN((byte) 0x02),
    /** Data: the frame carries no data. */
    NO_DATA((byte) 0x04);

    private final byte byteValue;

    TtrpcFlag(byte byteValue) {
        this.byteValue = byteValue;
    }

    /** The flag's bit on the wire. */
    public byte byteValue() {
        return byteValue;
    }

    /** Whether this flag is set in a flags byte. */
    public boolean isSet(byte flags) {
        return (flags & byteValue) != 0;
    }

    /**
     * The flag for a single-bit wire value.
     *
     * @throws IllegalArgumentException for a value that names no flag
     */
    public static TtrpcFlag valueOf(byte b) {
        return switch (b) {
            case 0x01 -> REMOTE_CLOSED;
            case 0x02 -> REMOTE_OPEN;
            case 0x04 -> NO_DATA;
            default -> throw new IllegalArgumentException(
                    "unknown ttrpc flag: 0x%02x (expected: 0x01, 0x02 or 0x04)".formatted(b & 0xff));
        };
    }
}
