package dev.restoreshim.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysfsBackingDevicesTest {
    @TempDir
    Path root;

    @Test
    void names_byPrefix_setReadAheadKb_writesTheEntrysFile() throws Exception {
        for (String name : new String[] {"253:0", "erofs-7", "erofs-12"}) {
            Files.writeString(Files.createDirectories(root.resolve(name)).resolve("read_ahead_kb"), "128\n");
        }
        var bdis = new SysfsBackingDevices(root);
        assertEquals(Set.of("erofs-7", "erofs-12"), bdis.names("erofs-"));
        bdis.setReadAheadKb("erofs-12", 1024);
        assertEquals("1024", Files.readString(root.resolve("erofs-12/read_ahead_kb")));
        assertEquals("128\n", Files.readString(root.resolve("erofs-7/read_ahead_kb")));
    }

    @Test
    void missingRoot_noNames_missingEntry_ioException() {
        var bdis = new SysfsBackingDevices(root.resolve("absent"));
        assertEquals(Set.of(), bdis.names("erofs-"));
        assertThrows(IOException.class, () -> bdis.setReadAheadKb("erofs-1", 1024));
    }
}
