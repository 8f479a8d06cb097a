package dev.restoreshim.task;

import dev.restoreshim.criu.CriuException;
import dev.restoreshim.criu.LazyPagesDaemon;
import dev.restoreshim.process.Container;
import dev.restoreshim.restore.CriuErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code criu lazy-pages} daemons of the lazy restores in flight, one per container: launched
 * at Create on the restore's images and CRIU work dir (so that its start overlaps containerd's
 * way from Create to Start), awaited at Start before {@code runc restore}, supervised until every
 * page is served, then the restore's images are released. Stopped when the container goes away
 * first. Logs {@code event=lazy_pages_served} with the serving time, or
 * {@code event=lazy_pages_failed} with the daemon's first CRIU error.
 *
 * <p>Each daemon's pid is kept in {@code <bundle>/criu-work/lazy-pages.pid} while it runs, so that
 * a node daemon started after a crash finds a daemon still serving its predecessor's restore
 * ({@link #adopt}): it is left to serve (killing it would leave the restored process without its
 * pages), and killed if the container is deleted first.
 */
final class LazyPages {
    private static final Logger LOG = LoggerFactory.getLogger(LazyPages.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    /** Running daemons by container; an entry lives from start until the daemon exits or the container is released. */
    private final Map<Container, LazyPagesDaemon> daemons = new ConcurrentHashMap<>();
    /** Daemons that could not be spawned at Create, reported at Start. */
    private final Map<Container, CriuException> launchFailures = new ConcurrentHashMap<>();
    /** Daemons of a previous node daemon still serving, by re-adopted container; same lifetime. */
    private final Map<Container, ProcessHandle> orphans = new ConcurrentHashMap<>();

    /**
     * Launches the daemon for {@code container}'s restore from {@code images} at Create, without
     * waiting for it; the work dir is the one runc restore uses ({@code <bundle>/criu-work}).
     * A daemon that cannot even be spawned is reported by {@link #awaitReady}.
     */
    void launch(Container container, String criu, Path images) {
        try {
            LazyPagesDaemon d = LazyPagesDaemon.launch(criu, images, container.bundle().resolve("criu-work"));
            daemons.put(container, d);
            writePid(container, d.pid());
            LOG.info("event=lazy_pages_launched ns={} id={} pid={} images={}", container.namespace(), container.id(),
                    d.pid(), images);
        } catch (CriuException e) {
            launchFailures.put(container, e);
        }
    }

    /**
     * At Start, before {@code runc restore}: waits until {@code container}'s daemon listens.
     *
     * @throws dev.restoreshim.errors.ShimException INTERNAL naming the daemon's first error and its log
     */
    LazyPagesDaemon awaitReady(Container container) {
        long t0 = System.nanoTime();
        try {
            CriuException failed = launchFailures.remove(container);
            if (failed != null) {
                throw failed;
            }
            LazyPagesDaemon d = daemons.get(container);
            if (d == null) {
                throw new CriuException(CriuException.Reason.LAZY_PAGES_FAILED, "lazy pages: no daemon was launched");
            }
            d.awaitReady(READY_TIMEOUT);
            LOG.info("event=lazy_pages_ready ns={} id={} pid={} waited_ms={}", container.namespace(), container.id(),
                    d.pid(), (System.nanoTime() - t0) / 1_000_000);
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
            deletePid(container);
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
        launchFailures.remove(container);
        LazyPagesDaemon d = daemons.remove(container);
        if (d != null) {
            d.close();
            LOG.info("event=lazy_pages_stopped ns={} id={}", container.namespace(), container.id());
        }
        ProcessHandle orphan = orphans.remove(container);
        if (orphan != null && orphan.isAlive()) {
            orphan.destroyForcibly();
            try {
                orphan.onExit().get(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("event=lazy_pages_stop_slow ns={} id={} pid={}", container.namespace(), container.id(),
                        orphan.pid());
            }
            LOG.info("event=lazy_pages_stopped ns={} id={} pid={} adopted=true", container.namespace(), container.id(),
                    orphan.pid());
        }
        deletePid(container);
    }

    /**
     * After a node daemon restart: if a {@code criu lazy-pages} of {@code container}'s restore
     * still runs (its pid file names a live process whose command line is a lazy-pages daemon on
     * this container's work dir), keeps it until it exits or {@link #stop} kills it. Returns
     * whether one was found.
     */
    boolean adopt(Container container) {
        Path work = container.bundle().resolve("criu-work");
        Path pidFile = work.resolve(LazyPagesOrphan.PID_FILE);
        if (!Files.isRegularFile(pidFile)) {
            return false;
        }
        try {
            ProcessHandle p = LazyPagesOrphan.find(work).orElse(null);
            if (p == null) {
                Files.deleteIfExists(pidFile);
                return false;
            }
            long pid = p.pid();
            orphans.put(container, p);
            LOG.info("event=lazy_pages_adopted ns={} id={} pid={}", container.namespace(), container.id(), pid);
            p.onExit().thenRun(() -> {
                if (orphans.remove(container, p)) {
                    deletePid(container);
                    LOG.info("event=lazy_pages_exited ns={} id={} pid={} adopted=true", container.namespace(),
                            container.id(), pid);
                }
            });
            return true;
        } catch (IOException e) {
            LOG.warn("event=lazy_pages_adopt_failed ns={} id={} reason=\"{}\"", container.namespace(), container.id(),
                    e.getMessage());
            return false;
        }
    }

    private static void writePid(Container container, long pid) {
        try {
            Files.writeString(container.bundle().resolve("criu-work").resolve(LazyPagesOrphan.PID_FILE), pid + "\n");
        } catch (IOException e) {
            LOG.warn("event=lazy_pages_pid_file_failed ns={} id={} reason=\"{}\"", container.namespace(), container.id(),
                    e.getMessage());
        }
    }

    private static void deletePid(Container container) {
        try {
            Files.deleteIfExists(container.bundle().resolve("criu-work").resolve(LazyPagesOrphan.PID_FILE));
        } catch (IOException e) {
            LOG.debug("msg=\"cannot remove lazy-pages pid file\" id={} error=\"{}\"", container.id(), e.getMessage());
        }
    }
}
