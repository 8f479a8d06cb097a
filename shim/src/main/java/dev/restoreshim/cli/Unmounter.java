package dev.restoreshim.cli;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Detaches a mount: {@code umount2(MNT_DETACH)} through {@code sys.Mounts} in production, a
 * recording fake in tests.
 */
@FunctionalInterface
interface Unmounter {
    /** Lazily unmounts {@code target}; the caller has checked that it is a mount point. */
    void unmount(Path target) throws IOException;
}
