package dev.restoreshim.restore;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A directory of CRIU images named by the request ({@code CreateTaskRequest.checkpoint} or the
 * annotation), read in place; it belongs to whoever made it, so {@link #close} leaves it alone.
 *
 * @param dir the images directory
 */
public record DirectoryImages(Path dir) implements CriuImages {
    public DirectoryImages {
        Objects.requireNonNull(dir, "dir");
    }

    @Override
    public long tmpfsBytes() {
        return 0;
    }

    @Override
    public void close() {
        // not ours to remove
    }
}
