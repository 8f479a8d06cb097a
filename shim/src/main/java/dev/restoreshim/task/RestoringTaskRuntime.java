package dev.restoreshim.task;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;

import com.google.protobuf.Any;
import dev.restoreshim.criu.LazyPagesDaemon;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExitListener;
import dev.restoreshim.restore.CriuErrors;
import dev.restoreshim.restore.CriuRestore;
import dev.restoreshim.restore.CriuSetup;
import dev.restoreshim.restore.RecentRestores;
import dev.restoreshim.restore.Restoration;
import dev.restoreshim.restore.RestoreImageMetadata;
import dev.restoreshim.restore.RestoreRequest;
import dev.restoreshim.restore.RestoreTimings;
import dev.restoreshim.restore.Restorer;
import dev.restoreshim.process.Stdio;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TaskRuntime} that turns a Create naming a checkpoint ({@link RestoreRequest#detect})
 * into a restore ({@link Restorer}) and passes everything else to the runtime it decorates. It
 * keeps each restored container's {@link Restoration}: the staging tmpfs goes when the init's
 * Start returns, the rest at {@link #release} (Delete) or {@link #cleanup}. Every finished attempt
 * (restored at Start, or failed at Create or Start) goes into {@link RecentRestores} for
 * {@code restore-shim status}.
 */
public final class RestoringTaskRuntime implements TaskRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(RestoringTaskRuntime.class);

    private final TaskRuntime delegate;
    private final Restorer restorer;
    private final CriuSetup criu;
    /** Restores by container identity; entries live from create to release. */
    private final Map<Container, Restored> restored = new ConcurrentHashMap<>();
    private final LazyPages lazyPages = new LazyPages();

    /**
     * One restored container: its {@link Restoration}, the checkpoint path it came from (for
     * {@link RecentRestores} and errors), and whether its Start is still to await a
     * {@code criu lazy-pages} daemon launched at Create (used once).
     */
    private record Restored(Restoration<Container> restoration, String source, boolean lazy) {
        Restored withoutLazy() {
            return new Restored(restoration, source, false);
        }
    }

    private final RecentRestores recent;

    /** Why restores are off on this node, empty when they are on. */
    private final String disabledReason;

    public RestoringTaskRuntime(TaskRuntime delegate, Restorer restorer) {
        this(delegate, restorer, CriuSetup.closed(), new RecentRestores());
    }

    /**
     * Restores with the CRIU options {@code criu} allows (see {@code docs/criu.md}), recording
     * each attempt in {@code recent}.
     */
    public RestoringTaskRuntime(TaskRuntime delegate, Restorer restorer, CriuSetup criu, RecentRestores recent) {
        this(delegate, restorer, criu, recent, "");
    }

    private RestoringTaskRuntime(TaskRuntime delegate, Restorer restorer, CriuSetup criu, RecentRestores recent,
                                 String disabledReason) {
        this.delegate = delegate;
        this.restorer = restorer;
        this.criu = criu;
        this.recent = recent;
        this.disabledReason = disabledReason;
    }

    /**
     * Ordinary creates keep working; a create that asks for a restore is refused with
     * FAILED_PRECONDITION and {@code reason}, never silently cold-started.
     */
    public static RestoringTaskRuntime disabled(TaskRuntime delegate, String reason) {
        return new RestoringTaskRuntime(delegate, null, CriuSetup.closed(), new RecentRestores(), reason);
    }

    @Override
    public Container create(CreateSpec spec, ExitListener listener) {
        Optional<RestoreRequest> request = RestoreRequest.detect(spec);
        if (request.isEmpty()) {
            return delegate.create(spec, listener);
        }
        if (restorer == null) {
            throw ShimException.failedPrecondition("create task \"" + spec.id() + "\": restore from "
                    + request.get().path() + " requested, but restores are disabled on this node: " + disabledReason);
        }
        long t0 = System.nanoTime();
        String source = request.get().path().toString();
        Restoration<Container> r;
        CriuRestore[] options = new CriuRestore[1];
        java.nio.file.Path[] images = new java.nio.file.Path[1];
        try {
            // a restore image's metadata names the CRIU options its checkpoint needs (allow-listed like
            // annotations); the layer's files are verified once, by the restore itself, before any mount
            Map<String, String> imageOptions = request.get().source() == RestoreRequest.Source.RESTORE_IMAGE
                    ? RestoreImageMetadata.read(request.get().path()).criuOptions() : Map.of();
            options[0] = criu.prepare(spec, request.get(), imageOptions); // refusals before anything is mounted
            r = restorer.restore(spec, request.get(), checked -> options[0] = options[0].checkImages(checked), s -> {
                options[0].writeInto(s.bundle()); // org.criu.config, read by runc restore at Start
                images[0] = java.nio.file.Path.of(s.checkpoint());
                return delegate.create(s, listener);
            }, options[0].lazyPages());
        } catch (RuntimeException e) {
            recent.add(new RecentRestores.Entry(spec.namespace(), spec.id(), source, null, ms(t0),
                    RecentRestores.Outcome.FAILED, String.valueOf(e.getMessage()), Instant.now()));
            throw e;
        }
        LOG.info("event=restore_criu_options ns={} id={} {}", spec.namespace(), spec.id(),
                options[0].options().logField());
        boolean lazy = options[0].lazyPages();
        restored.put(r.container(), new Restored(r, source, lazy));
        if (lazy) { // its start (CRIU's kernel probe) overlaps containerd's way to Start; stopped by release
            lazyPages.launch(r.container(), options[0].features().binary(), images[0]);
        }
        return r.container();
    }

    @Override
    public int start(Container container, String execId) {
        Restored entry = execId.isEmpty() ? restored.get(container) : null;
        if (entry == null) {
            return delegate.start(container, execId);
        }
        restored.computeIfPresent(container, (c, e) -> e.withoutLazy()); // a lazy plan is used once
        Restoration<Container> r = entry.restoration();
        long t0 = System.nanoTime();
        LazyPagesDaemon lazy = null;
        boolean ok = false;
        String error = "start did not return";
        try {
            if (entry.lazy()) {
                lazy = lazyPages.awaitReady(container); // listening before runc restore
            }
            int pid = delegate.start(container, execId);
            ok = true;
            return pid;
        } catch (RuntimeException e) {
            RuntimeException explained = CriuErrors.explain(e, container.bundle().resolve("criu-work"));
            if (!entry.source().isEmpty()) { // name the checkpoint the failed restore came from
                explained = new ShimException(explained instanceof ShimException s ? s.kind() : ErrorKind.INTERNAL,
                        "restore from " + entry.source() + ": " + explained.getMessage(), explained);
            }
            error = String.valueOf(explained.getMessage());
            throw explained;
        } finally {
            long ms = ms(t0);
            if (lazy != null && ok) {
                // the images must stay until the daemon has served every page
                lazyPages.releaseWhenServed(container, lazy, () -> r.afterStart(ms, true));
            } else {
                lazyPages.stop(container);
                r.afterStart(ms, ok);
            }
            // a lazy restore releases its images (and completes its timings) once every page is served
            RestoreTimings timings = r.timings().restoreMs() >= 0 ? r.timings() : r.timings().withRestore(ms);
            recent.add(new RecentRestores.Entry(container.namespace(), container.id(), entry.source(), timings,
                    timings.totalMs(), ok ? RecentRestores.Outcome.RESTORED : RecentRestores.Outcome.FAILED,
                    ok ? "" : error, Instant.now()));
        }
    }

    private static long ms(long from) {
        return (System.nanoTime() - from) / 1_000_000;
    }

    @Override
    public void release(Container container) {
        lazyPages.stop(container);
        Restored entry = restored.remove(container);
        try {
            delegate.release(container);
        } finally {
            if (entry != null) {
                entry.restoration().close();
                LOG.info("event=restore_released ns={} id={}", container.namespace(), container.id());
            }
        }
    }

    @Override
    public Container adopt(ContainerRecord record, ExitListener listener) {
        Container c = delegate.adopt(record, listener);
        try {
            CreateSpec spec = CreateSpec.of(record.namespace(), record.id(), record.bundle(), List.of(), Stdio.none());
            RestoreRequest.detect(spec).ifPresent(request -> {
                restored.put(c, new Restored(restorer.readopt(spec, request, c), request.path().toString(),
                        false));
                lazyPages.adopt(c); // a lazy-pages daemon of the previous node daemon, still serving
            });
        } catch (RuntimeException e) {
            LOG.warn("event=restore_readopt_failed ns={} id={} reason=\"{}\"", record.namespace(), record.id(),
                    e.getMessage());
        }
        return c;
    }

    /** The adopted tasks keep their scratch dirs; those of every other task of the previous daemon go. */
    @Override
    public void adoptionDone(List<ContainerRecord> adopted) {
        delegate.adoptionDone(adopted);
        if (restorer != null) {
            restorer.removeScratchExcept(adopted);
        }
    }

    @Override
    public void cleanup(Container container) {
        try {
            delegate.cleanup(container);
        } finally {
            release(container);
        }
    }

    @Override
    public Any stats(int pid) {
        return delegate.stats(pid);
    }
}
