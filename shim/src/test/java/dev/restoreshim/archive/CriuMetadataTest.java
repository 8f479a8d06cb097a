package dev.restoreshim.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Against bytes of a real containerd CRI checkpoint (CRIU 4.1.1). */
class CriuMetadataTest {
    static final byte[] STATS_DUMP = HexFormat.of().parseHex("4059105506330957230000000a2108d30510a99e0518cc1920830228"
            + "2f300038214000480050085808600068007000");
    /** The start of the real inventory.img (img_version, root_ids, ...), its size field cut to these 40 bytes. */
    static final byte[] INVENTORY = HexFormat.of().parseHex("163131582800000008021001" + "1a18080110011801200128013002"
            + "38034004480650075808600520012801300058006200");

    @Test
    void dumpStats_fromRealStatsDump() {
        assertEquals(new DumpStats(723, 85801, 3276, 259, 47, 33), CriuMetadata.dumpStats(STATS_DUMP));
    }

    @Test
    void imageFormatVersion_fromRealInventory() {
        assertEquals(2, CriuMetadata.imageFormatVersion(INVENTORY));
    }

    @Test
    void garbage_givesNothing() {
        assertNull(CriuMetadata.dumpStats(new byte[] {1, 2, 3}));
        assertNull(CriuMetadata.dumpStats(HexFormat.of().parseHex("40591055063309570a000000")));
        assertEquals(0, CriuMetadata.imageFormatVersion(HexFormat.of().parseHex("1631315805000000ff")));
    }

    @Test
    void versionFromLog() {
        assertEquals("4.1.1", CriuMetadata.versionFromLog("(00.000000) Version: 4.1.1 (gitid 0)\n".getBytes()));
        assertEquals("", CriuMetadata.versionFromLog("nothing".getBytes()));
    }
}
