package dev.restoreshim.sys;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The kernel's backing-device-info entries ({@code /sys/class/bdi}): one per block device, and
 * one per superblock of a file system that has its own, such as a file-backed EROFS mount
 * ({@code erofs-<n>}). Their {@code read_ahead_kb} is the largest read the page cache issues
 * ahead for files on them. Implementation: {@link SysfsBackingDevices}; tests use a directory.
 */
public interface BackingDevices {
    /** The entries whose name starts with {@code prefix}. Empty when there are none or they cannot be listed. */
    Set<String> names(String prefix);

    /** Sets the readahead window of entry {@code name}. */
    void setReadAheadKb(String name, int kb) throws IOException;

    /** The host's {@code /sys/class/bdi}. */
    static BackingDevices sysfs() {
        return new SysfsBackingDevices(Path.of("/sys/class/bdi"));
    }
}
