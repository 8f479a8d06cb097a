package dev.restoreshim.restore;

import dev.restoreshim.process.CleanupStack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container created for a restore, with what its restore holds: the overlay mount, the delta
 * lease, scratch dirs and, until Start has run, the staging tmpfs. {@link #afterStart} drops the
 * staging tmpfs and logs the phase timings; {@link #close} releases the rest (at Delete, or when
 * the create is abandoned), newest first.
 *
 * @param <C> the container type
 */
public final class Restoration<C> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Restoration.class);

    private final String label;
    private final C container;
    private final CleanupStack resources;
    private final ImageStaging staging;
    private volatile RestoreTimings timings;

    Restoration(String label, C container, CleanupStack resources, ImageStaging staging, RestoreTimings timings) {
        this.label = label;
        this.container = container;
        this.resources = resources;
        this.staging = staging;
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
     * staging tmpfs and logs the timings.
     */
    public void afterStart(long restoreMs, boolean succeeded) {
        if (staging != null) {
            try {
                staging.close();
            } catch (RuntimeException e) {
                LOG.warn("event=restore_staging_release_failed {} reason=\"{}\"", label, e.getMessage());
            }
        }
        timings = timings.withRestore(restoreMs);
        if (succeeded) {
            LOG.info("event=restored {} {}", label, timings.logFields());
        } else {
            LOG.warn("event=restore_failed {} {}", label, timings.logFields());
        }
    }

    /** Releases everything the restore holds (overlay, lease, scratch, staging if still there). */
    @Override
    public void close() {
        resources.close();
    }
}
