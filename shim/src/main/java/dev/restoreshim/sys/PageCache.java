package dev.restoreshim.sys;

import java.nio.file.Path;

/**
 * Advice to the kernel's page cache. Implementation: {@link LinuxPageCache}; tests use recording
 * fakes.
 */
public interface PageCache {
    /**
     * posix_fadvise(2) {@code POSIX_FADV_WILLNEED} on {@code [offset, offset + length)} of
     * {@code file}: the kernel starts reading that range into the page cache. The call returns
     * once the reads are submitted (it may wait for room in the device queue), not when they
     * complete.
     *
     * @throws SysException with call {@code open} or {@code posix_fadvise} and the file as path
     */
    void willNeed(Path file, long offset, long length);
}
