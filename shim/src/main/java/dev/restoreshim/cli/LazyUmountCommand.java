package dev.restoreshim.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * TEMPORARY: runs {@code umount -l TARGET}. Replace with the FFM {@code sys.Mounts} once it exists;
 * only {@link DeleteCommand#production} refers to this class.
 */
final class LazyUmountCommand implements Unmounter {
    private final CommandRunner runner;

    LazyUmountCommand(CommandRunner runner) {
        this.runner = runner;
    }

    @Override
    public void unmount(Path target) throws IOException {
        CommandResult r = runner.run(List.of("umount", "-l", target.toString()));
        if (r.exitCode() != 0) {
            throw new IOException("umount -l " + target + ": " + r.lastLine());
        }
    }
}
