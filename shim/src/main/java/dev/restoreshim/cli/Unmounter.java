package dev.restoreshim.cli;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Detaches a mount. The lead wires this to the FFM {@code sys.Mounts} ({@code umount2(MNT_DETACH)});
 * until then {@link LazyUmountCommand} shells out.
 */
@FunctionalInterface
interface Unmounter {
    /** Lazily unmounts {@code target}; the caller has checked that it is a mount point. */
    void unmount(Path target) throws IOException;
}
