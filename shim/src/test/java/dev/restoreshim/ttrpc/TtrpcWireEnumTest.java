package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TtrpcWireEnumTest {
    @Test
    void messageTypesRoundTrip() {
        for (TtrpcMessageType t : TtrpcMessageType.values()) {
            assertEquals(t, TtrpcMessageType.valueOf(t.byteValue()));
        }
        assertEquals(1, TtrpcMessageType.REQUEST.byteValue());
        assertEquals(2, TtrpcMessageType.RESPONSE.byteValue());
        assertEquals(3, TtrpcMessageType.DATA.byteValue());
    }

    @Test
    void unknownMessageTypeIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> TtrpcMessageType.valueOf((byte) 0));
        assertTrue(e.getMessage().contains("0x00"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TtrpcMessageType.valueOf((byte) 4));
        assertFalse(TtrpcMessageType.isKnown((byte) 0xff));
    }

    @Test
    void flagsRoundTripAndTestBits() {
        for (TtrpcFlag f : TtrpcFlag.values()) {
            assertEquals(f, TtrpcFlag.valueOf(f.byteValue()));
        }
        assertThrows(IllegalArgumentException.class, () -> TtrpcFlag.valueOf((byte) 3));
        assertTrue(TtrpcFlag.REMOTE_OPEN.isSet((byte) 0x06));
        assertFalse(TtrpcFlag.REMOTE_CLOSED.isSet((byte) 0x06));
    }
}
