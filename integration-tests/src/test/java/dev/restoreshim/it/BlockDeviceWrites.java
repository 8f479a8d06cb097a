package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bytes written to the machine's whole block devices, from {@code /proc/diskstats} (the sum of
 * "sectors written", 512 bytes each, of every device listed in {@code /sys/block}, so partitions
 * are not counted twice). Machine-wide: whatever else writes during a window is counted too.
 */
final class BlockDeviceWrites {
    private static final Path DISKSTATS = Path.of("/proc/diskstats");
    private static final Path SYS_BLOCK = Path.of("/sys/block");
    /** The field of a diskstats line (0-based, after major, minor and name) holding sectors written. */
    private static final int SECTORS_WRITTEN = 9;

    private BlockDeviceWrites() {
    }

    /** The bytes written to whole block devices since boot. */
    static long sample() throws IOException {
        long sectors = 0;
        for (String line : Files.readAllLines(DISKSTATS)) {
            String[] f = line.trim().split("\\s+");
            if (f.length > SECTORS_WRITTEN && Files.isDirectory(SYS_BLOCK.resolve(f[2]))) {
                sectors += Long.parseLong(f[SECTORS_WRITTEN]);
            }
        }
        return sectors * 512;
    }

    /** Flushes dirty pages ({@code sync}) so that writes still in the page cache are counted, then samples. */
    static long afterSync() throws IOException {
        HostCommand.of("sync").check();
        return sample();
    }
}
