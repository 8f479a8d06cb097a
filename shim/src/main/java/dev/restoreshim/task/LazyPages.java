package dev.restoreshim.task;

import dev.restoreshim.criu.CriuException;
import dev.restoreshim.criu.LazyPagesDaemon;
import dev.restoreshim.process.Container;
import dev.restoreshim.restore.CriuErrors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code criu lazy-pages} daemons of the lazy restores in flight, one per container: started
 * before {@code runc restore} on the restore's images and CRIU work dir, supervised until every
 * page is served, then the restore's images are released. Stopped when the container goes away
 * first. Logs {@code event=lazy_pages_served} with the serving time, or
 * {@code event=lazy_pages_failed} with the daemon's first CRIU error.
 */
final class LazyPages {
    private static final Logger LOG = LoggerFactory.getLogger(LazyPages.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    /** Running daemons by container; an entry lives from start until the daemon exits or the container is released. */
    private final Map<Container, LazyPagesDaemon> daemons = new ConcurrentHashMap<>();

    /**
     * Starts the daemon for {@code container}'s restore from {@code images}; the work dir is the
     * one runc restore uses ({@code <bundle>/criu-work}).
     *
     * @throws dev.restoreshim.errors.ShimException INTERNAL naming the daemon's first error and its log
     */
    LazyPagesDaemon start(Container container, String criu, Path images) {
        try {
            LazyPagesDaemon d = LazyPagesDaemon.start(criu, images, container.bundle().resolve("criu-work"), READY_TIMEOUT);
            daemons.put(container, d);
            LOG.info("event=lazy_pages_started ns={} id={} pid={}", container.namespace(), container.id(), d.pid());
            return d;
        } catch (CriuException e) {
            throw CriuErrors.toShim(new CriuException(e.reason(), "restore task \"" + container.id() + "\": "
                    + e.getMessage(), e));
        }
    }

    /** After a successful restore: runs {@code release} (the images) once the daemon has exited. */
    void releaseWhenServed(Container container, LazyPagesDaemon daemon, Runnable release) {
        daemon.exit().whenComplete((outcome, failure) -> {
            daemons.remove(container, daemon);
            try {
                if (outcome != null && outcome.ok()) {
                    LOG.info("event=lazy_pages_served ns={} id={} ms={}", container.namespace(), container.id(),
                            outcome.servingMs());
                } else {
                    LOG.error("event=lazy_pages_failed ns={} id={} ms={} reason=\"{}\"", container.namespace(),
                            container.id(), outcome == null ? -1 : outcome.servingMs(),
                            outcome == null ? String.valueOf(failure) : outcome.error().orElse("exit " + outcome.exitCode()));
                }
            } finally {
                release.run();
            }
        });
    }

    /** Kills {@code container}'s daemon if one still runs (failed restore, or Delete before every page was served). */
    void stop(Container container) {
        LazyPagesDaemon d = daemons.remove(container);
        if (d != null) {
            d.close();
            LOG.info("event=lazy_pages_stopped ns={} id={}", container.namespace(), container.id());
        }
    }
}
