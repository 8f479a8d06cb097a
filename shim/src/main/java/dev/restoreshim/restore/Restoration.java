package dev.restoreshim.restore;

import dev.restoreshim.process.CleanupStack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container created for a restore, with what its restore holds: the overlay mount, the delta
 * lease, scratch dirs and, until Start has run, the {@link CriuImages}. {@link #afterStart} releases
 * the images and logs the phase timings; {@link #close} releases the rest (at Delete, or when
 * the create is abandoned), newest first.
 *
 * @param <C> the container type
 */
public final class Restoration<C> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Restoration.class);

    private final String label;
    private final C container;
    private final CleanupStack resources;
    private final CriuImages images;
    private volatile RestoreTimings timings;

    Restoration(String label, C container, CleanupStack resources, CriuImages images, RestoreTimings timings) {
        this.label = label;
        this.container = container;
        this.resources = resources;
        this.images = images;
        this.timings = timings;
    }

    /** The created container (restored at its Start). */
    public C container() {
        return container;
    }

    /** The phase timings so far. */
    public RestoreTimings timings() {
        return timings;
    }

    /**
     * Called when the init's Start (the restore) has returned, successfully or not: unmounts the
     * CRIU images (tmpfs or EROFS mount) and logs the timings.
     */
    public void afterStart(long restoreMs, boolean succeeded) {
        long tmpfsLeft = images == null ? -1 : images.tmpfsBytesInUse();
        if (images != null) {
            try {
                images.close();
            } catch (RuntimeException e) {
                LOG.warn("event=restore_images_release_failed {} images={} reason=\"{}\"", label, images.kind(),
                        e.getMessage());
            }
        }
        timings = timings.withRestore(restoreMs).withTmpfsLeft(tmpfsLeft);
        String kind = images == null ? "directory" : images.kind();
        if (succeeded) {
            LOG.info("event=restored {} images={} {}", label, kind, timings.logFields());
        } else {
            LOG.warn("event=restore_failed {} images={} {}", label, kind, timings.logFields());
        }
    }

    /** Releases everything the restore holds (overlay, lease, scratch, images if still there). */
    @Override
    public void close() {
        resources.close();
    }
}
