package dev.restoreshim.ttrpc;

import dev.restoreshim.proto.ttrpc.KeyValue;
import dev.restoreshim.proto.ttrpc.Request;
import dev.restoreshim.proto.ttrpc.Response;
import dev.restoreshim.task.CallNamespace;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves TTRPC requests with grpc-java service definitions. A request's {@code service/method}
 * selects a unary method, whose {@code ServerCallHandler} runs with a small in-memory call
 * ({@link TtrpcServerCall}) on a virtual thread, so a long {@code Wait} never stalls the
 * connection. Per call: TTRPC metadata becomes grpc {@link Metadata}, the
 * {@code containerd-namespace-ttrpc} value becomes {@link CallNamespace#KEY}, and a non-zero
 * {@code timeout_nano} becomes a {@link Context} deadline that cancels the call and answers
 * DEADLINE_EXCEEDED. Unknown services and methods, and streaming methods, answer UNIMPLEMENTED;
 * failures are mapped by {@link dev.restoreshim.errors.ErrorStatus}.
 *
 * <p>A service can be registered under extra names ({@link Builder#addAlias}): the shim serves
 * its {@code containerd.task.v3.Task} implementation as {@code containerd.task.v2.Task} too, since
 * the two services share every message.
 */
public final class TtrpcDispatcher implements AutoCloseable {
    /** The Task service name containerd dials over TTRPC when {@code start} prints a plain address. */
    public static final String TASK_V2 = "containerd.task.v2.Task";
    /** The Task service name of the v3 API (gRPC shims, and TTRPC with bootstrap version 3). */
    public static final String TASK_V3 = "containerd.task.v3.Task";
    private static final Logger LOG = LoggerFactory.getLogger(TtrpcDispatcher.class);

    private final Map<String, ServerMethodDefinition<?, ?>> methods;
    private final Map<String, String> services;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final ScheduledExecutorService deadlines;

    /** Guards {@link #inFlight}; {@link #idle} is signalled when it drops to zero. */
    private final ReentrantLock inFlightLock = new ReentrantLock();
    private final Condition idle = inFlightLock.newCondition();
    private int inFlight;

    private TtrpcDispatcher(Builder b) {
        this.methods = Map.copyOf(b.methods);
        this.services = Map.copyOf(b.services);
        this.ownedExecutor = b.executor == null ? Executors.newVirtualThreadPerTaskExecutor() : null;
        this.executor = b.executor == null ? ownedExecutor : b.executor;
        this.deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ttrpc-deadlines");
            t.setDaemon(true);
            return t;
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Service names this dispatcher answers, including aliases. */
    public java.util.Set<String> serviceNames() {
        return services.keySet();
    }

    /**
     * Starts one request. {@code responder} is called exactly once, from any thread, with the
     * response for the request's stream.
     *
     * @return the running call, which the connection cancels when it closes
     */
    public TtrpcCall dispatch(Request request, Consumer<Response> responder) {
        Objects.requireNonNull(responder, "responder");
        ServerMethodDefinition<?, ?> method = methods.get(request.getService() + "/" + request.getMethod());
        if (method == null) {
            String what = services.containsKey(request.getService())
                    ? "method " + request.getService() + "/" + request.getMethod()
                    : "service " + request.getService();
            responder.accept(TtrpcServerCall.errorResponse(Status.UNIMPLEMENTED.withDescription(what)));
            return TtrpcCall.DONE;
        }
        if (!method.getMethodDescriptor().getType().clientSendsOneMessage()
                || !method.getMethodDescriptor().getType().serverSendsOneMessage()) {
            responder.accept(TtrpcServerCall.errorResponse(Status.UNIMPLEMENTED.withDescription(
                    "streaming method " + method.getMethodDescriptor().getFullMethodName() + " is not served over ttrpc")));
            return TtrpcCall.DONE;
        }
        return start(method, request, responder);
    }

    private <Q, R> TtrpcCall start(ServerMethodDefinition<Q, R> method, Request request, Consumer<Response> responder) {
        Context.CancellableContext context = callContext(request);
        enter();
        var call = new TtrpcServerCall<>(method, request, context, timed(request, responder), this::exit);
        context.addListener(c -> call.cancelled(c.cancellationCause()), Runnable::run);
        try {
            executor.execute(call::run);
        } catch (RuntimeException e) {
            call.fail(Status.UNAVAILABLE.withDescription("ttrpc dispatcher is closed"));
        }
        return call;
    }

    /** With debug logging on, {@code responder} logging the call's duration (dispatch to response). */
    private static Consumer<Response> timed(Request request, Consumer<Response> responder) {
        if (!LOG.isDebugEnabled()) {
            return responder;
        }
        long started = System.nanoTime();
        return response -> {
            LOG.debug("event=ttrpc_call method={}/{} ms={} code={}", request.getService(), request.getMethod(),
                    String.format("%.1f", (System.nanoTime() - started) / 1e6), response.getStatus().getCode());
            responder.accept(response);
        };
    }

    private Context.CancellableContext callContext(Request request) {
        Context base = Context.ROOT.withValue(CallNamespace.KEY, namespace(request.getMetadataList()));
        if (request.getTimeoutNano() > 0) {
            return base.withDeadlineAfter(request.getTimeoutNano(), TimeUnit.NANOSECONDS, deadlines);
        }
        return base.withCancellation();
    }

    static String namespace(List<KeyValue> metadata) {
        String ns = null;
        for (KeyValue kv : metadata) {
            if (kv.getKey().equalsIgnoreCase(CallNamespace.TTRPC_METADATA_KEY)) {
                ns = kv.getValue();
            }
        }
        return ns == null || ns.isEmpty() ? CallNamespace.DEFAULT : ns;
    }

    /** TTRPC metadata as grpc headers; keys grpc cannot carry (binary, invalid) are skipped. */
    static Metadata headers(List<KeyValue> metadata) {
        var headers = new Metadata();
        for (KeyValue kv : metadata) {
            String key = kv.getKey().toLowerCase(java.util.Locale.ROOT);
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                continue;
            }
            try {
                headers.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), kv.getValue());
            } catch (IllegalArgumentException e) {
                LOG.debug("event=ttrpc_metadata_skipped key={} reason=\"{}\"", key, e.getMessage());
            }
        }
        return headers;
    }

    private void enter() {
        inFlightLock.lock();
        try {
            inFlight++;
        } finally {
            inFlightLock.unlock();
        }
    }

    private void exit() {
        inFlightLock.lock();
        try {
            if (--inFlight == 0) {
                idle.signalAll();
            }
        } finally {
            inFlightLock.unlock();
        }
    }

    /** Number of calls started and not yet answered. */
    public int inFlight() {
        inFlightLock.lock();
        try {
            return inFlight;
        } finally {
            inFlightLock.unlock();
        }
    }

    /**
     * Waits until no call is in flight.
     *
     * @return false if calls were still running when the timeout passed
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        inFlightLock.lock();
        try {
            while (inFlight > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = idle.awaitNanos(nanos);
            }
            return true;
        } finally {
            inFlightLock.unlock();
        }
    }

    /** Stops the deadline timer and the owned executor; running calls keep their threads. */
    @Override
    public void close() {
        deadlines.shutdownNow();
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
    }

    /** A call in progress, as seen by the connection that started it. */
    public interface TtrpcCall {
        /** A call that was answered at once. */
        TtrpcCall DONE = new TtrpcCall() {
            @Override
            public void cancel(Status reason) {
            }

            @Override
            public boolean isDone() {
                return true;
            }
        };

        /** Cancels the call if it is still running and answers it with {@code reason}. */
        void cancel(Status reason);

        /** Whether the call has been answered. */
        boolean isDone();
    }

    /** Collects services; not thread-safe. */
    public static final class Builder {
        private final Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();
        private final Map<String, String> services = new HashMap<>();
        private Executor executor;

        private Builder() {
        }

        public Builder addService(BindableService service) {
            return addService(service.bindService());
        }

        /** Serves a service under its own name. */
        public Builder addService(ServerServiceDefinition definition) {
            return addAlias(definition.getServiceDescriptor().getName(), definition);
        }

        /**
         * Serves a service under another name, for example {@code containerd.task.v2.Task} for the
         * v3 implementation. The messages must be the same on both names.
         */
        public Builder addAlias(String serviceName, ServerServiceDefinition definition) {
            if (services.putIfAbsent(serviceName, serviceName) != null) {
                throw new IllegalArgumentException("duplicate ttrpc service " + serviceName);
            }
            for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
                String bare = m.getMethodDescriptor().getBareMethodName();
                methods.put(serviceName + "/" + bare, m);
            }
            return this;
        }

        /**
         * Serves a {@code containerd.task.v3.Task} implementation under both Task names,
         * {@value #TASK_V3} and {@value #TASK_V2}: the two APIs share every message and method.
         *
         * @throws IllegalArgumentException if the service is not a v3 Task service
         */
        public Builder addTaskService(BindableService v3Task) {
            ServerServiceDefinition definition = v3Task.bindService();
            String name = definition.getServiceDescriptor().getName();
            if (!TASK_V3.equals(name)) {
                throw new IllegalArgumentException("task service: " + name + " (expected: " + TASK_V3 + ")");
            }
            return addService(definition).addAlias(TASK_V2, definition);
        }

        /** Runs calls on this executor instead of one virtual thread per call. */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        public TtrpcDispatcher build() {
            return new TtrpcDispatcher(this);
        }
    }
}
