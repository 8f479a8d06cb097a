package dev.restoreshim.task;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;

import com.google.protobuf.Any;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExitListener;
import dev.restoreshim.restore.CriuRestoreLog;
import dev.restoreshim.restore.RecentRestores;
import dev.restoreshim.restore.Restoration;
import dev.restoreshim.restore.RestoreRequest;
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
    /** Restorations by container identity; entries live from create to release. */
    private final Map<Container, Restoration<Container>> restorations = new ConcurrentHashMap<>();

    /** The checkpoint path of each restoration, for {@link RecentRestores}; same lifetime as {@link #restorations}. */
    private final Map<Container, String> sources = new ConcurrentHashMap<>();
    private final RecentRestores recent;

    /** Why restores are off on this node, empty when they are on. */
    private final String disabledReason;

    public RestoringTaskRuntime(TaskRuntime delegate, Restorer restorer) {
        this(delegate, restorer, new RecentRestores());
    }

    public RestoringTaskRuntime(TaskRuntime delegate, Restorer restorer, RecentRestores recent) {
        this(delegate, restorer, recent, "");
    }

    private RestoringTaskRuntime(TaskRuntime delegate, Restorer restorer, RecentRestores recent, String disabledReason) {
        this.delegate = delegate;
        this.restorer = restorer;
        this.recent = recent;
        this.disabledReason = disabledReason;
    }

    /**
     * Ordinary creates keep working; a create that asks for a restore is refused with
     * FAILED_PRECONDITION and {@code reason}, never silently cold-started.
     */
    public static RestoringTaskRuntime disabled(TaskRuntime delegate, String reason) {
        return new RestoringTaskRuntime(delegate, null, new RecentRestores(), reason);
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
        try {
            r = restorer.restore(spec, request.get(), s -> delegate.create(s, listener));
        } catch (RuntimeException e) {
            recent.add(new RecentRestores.Entry(spec.namespace(), spec.id(), source, null, ms(t0),
                    RecentRestores.Outcome.FAILED, String.valueOf(e.getMessage()), Instant.now()));
            throw e;
        }
        sources.put(r.container(), source);
        restorations.put(r.container(), r);
        return r.container();
    }

    @Override
    public int start(Container container, String execId) {
        Restoration<Container> r = execId.isEmpty() ? restorations.get(container) : null;
        if (r == null) {
            return delegate.start(container, execId);
        }
        long t0 = System.nanoTime();
        boolean ok = false;
        String error = "start did not return";
        try {
            int pid = delegate.start(container, execId);
            ok = true;
            return pid;
        } catch (RuntimeException e) {
            RuntimeException explained = CriuRestoreLog.explain(e, container.bundle().resolve("criu-work"));
            String source = sources.getOrDefault(container, "");
            if (!source.isEmpty()) { // name the checkpoint the failed restore came from
                explained = new ShimException(explained instanceof ShimException s ? s.kind() : ErrorKind.INTERNAL,
                        "restore from " + source + ": " + explained.getMessage(), explained);
            }
            error = String.valueOf(explained.getMessage());
            throw explained;
        } finally {
            r.afterStart(ms(t0), ok);
            recent.add(new RecentRestores.Entry(container.namespace(), container.id(),
                    sources.getOrDefault(container, ""), r.timings(), r.timings().totalMs(),
                    ok ? RecentRestores.Outcome.RESTORED : RecentRestores.Outcome.FAILED, ok ? "" : error,
                    Instant.now()));
        }
    }

    private static long ms(long from) {
        return (System.nanoTime() - from) / 1_000_000;
    }

    @Override
    public void release(Container container) {
        Restoration<Container> r = restorations.remove(container);
        sources.remove(container);
        try {
            delegate.release(container);
        } finally {
            if (r != null) {
                r.close();
                LOG.info("event=restore_released ns={} id={}", container.namespace(), container.id());
            }
        }
    }

    @Override
    public Container adopt(ContainerRecord record, ExitListener listener) {
        Container c = delegate.adopt(record, listener);
        try {
            CreateSpec spec = CreateSpec.of(record.namespace(), record.id(), record.bundle(), List.of(), Stdio.none());
            RestoreRequest.detect(spec).ifPresent(request -> restorations.put(c, restorer.readopt(spec, request, c)));
        } catch (RuntimeException e) {
            LOG.warn("event=restore_readopt_failed ns={} id={} reason=\"{}\"", record.namespace(), record.id(),
                    e.getMessage());
        }
        return c;
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
