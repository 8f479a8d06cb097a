package dev.restoreshim.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Bytes written to the host's real block devices, from {@code /proc/diskstats}: the sum of
 * "sectors written" (512 bytes each) over the whole disks in {@code /sys/block} that have a
 * {@code device} (so no partitions, counted twice otherwise, and no loop, ram, zram or
 * device-mapper devices). Host-wide: it counts every writer in the window, not only the restore.
 */
final class DiskWrites {
    private DiskWrites() {
    }

    /** The current total of sectors written to real disks. */
    static long sectors() {
        Set<String> disks = realDisks();
        try {
            long sum = 0;
            for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && disks.contains(f[2])) {
                    sum += Long.parseLong(f[9]);
                }
            }
            return sum;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Flushes dirty pages ({@code sync}, so that writes the kernel delays are counted) and returns
     * the bytes written since {@code sectorsBefore}.
     */
    static long bytesSince(long sectorsBefore) {
        HostCommand.of("sync").check();
        return (sectors() - sectorsBefore) * 512;
    }

    /** The bytes written to real disks since boot. */
    static long bytes() {
        return sectors() * 512;
    }

    /** {@link #bytes} after {@code sync}, so that writes still in the page cache are counted. */
    static long bytesAfterSync() {
        HostCommand.of("sync").check();
        return bytes();
    }

    private static Set<String> realDisks() {
        try (Stream<Path> all = Files.list(Path.of("/sys/block"))) {
            return all.filter(p -> Files.exists(p.resolve("device")))
                    .map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
