package dev.restoreshim.restore;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * What the CRIU side of a restore learns about the checkpoint's images before the container is
 * created ({@link Restorer#restore}'s image check): which images are there, and whether they are
 * this restore's own copy.
 *
 * @param nonEmpty whether the named CRIU image is there, non-empty
 * @param ownCopy whether CRIU reads a copy private to this restore (the staging tmpfs), which it
 *     may change; false for images read where they lie (an archive mounted in place as EROFS, a
 *     restore image's layer, a directory of images), which are shared and must stay intact
 */
public record CheckpointImages(Predicate<String> nonEmpty, boolean ownCopy) {
    public CheckpointImages {
        Objects.requireNonNull(nonEmpty, "nonEmpty");
    }
}
