package dev.restoreshim.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import dev.restoreshim.errors.ErrorStatus;
import dev.restoreshim.proto.ttrpc.Request;
import dev.restoreshim.proto.ttrpc.Response;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unary call run through a grpc {@code ServerCallHandler} without a gRPC transport: it
 * captures the single response message and the closing status, and answers the TTRPC stream
 * exactly once (whichever comes first of close, failure, cancellation or deadline).
 */
final class TtrpcServerCall<Q, R> extends ServerCall<Q, R> implements TtrpcDispatcher.TtrpcCall {
    private static final Logger LOG = LoggerFactory.getLogger(TtrpcServerCall.class);

    private final ServerMethodDefinition<Q, R> method;
    private final Request request;
    private final Context.CancellableContext context;
    private final Consumer<Response> responder;
    private final Runnable onDone;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile boolean cancelled;
    private volatile ByteString message;
    private volatile ServerCall.Listener<Q> listener;

    TtrpcServerCall(ServerMethodDefinition<Q, R> method, Request request, Context.CancellableContext context,
            Consumer<Response> responder, Runnable onDone) {
        this.method = method;
        this.request = request;
        this.context = context;
        this.responder = responder;
        this.onDone = onDone;
    }

    /** Runs the handler in the call's context: start, one message, half-close. */
    void run() {
        if (answered.get()) {
            return;
        }
        Context previous = context.attach();
        try {
            Q req = parse();
            listener = method.getServerCallHandler().startCall(this, TtrpcDispatcher.headers(request.getMetadataList()));
            listener.onReady();
            listener.onMessage(req);
            listener.onHalfClose();
        } catch (StatusParseException e) {
            fail(e.status);
        } catch (Throwable t) {
            fail(mapFailure(t));
        } finally {
            context.detach(previous);
        }
    }

    private Q parse() throws StatusParseException {
        try (InputStream in = request.getPayload().newInput()) {
            return method.getMethodDescriptor().parseRequest(in);
        } catch (IOException | RuntimeException e) {
            throw new StatusParseException(Status.INTERNAL.withDescription("ttrpc: cannot parse "
                    + request.getService() + "/" + request.getMethod() + " request: " + e.getMessage()));
        }
    }

    @Override
    public void request(int numMessages) {
    }

    @Override
    public void sendHeaders(Metadata headers) {
    }

    @Override
    public void sendMessage(R response) {
        if (message != null) {
            throw new IllegalStateException("unary call " + method.getMethodDescriptor().getFullMethodName()
                    + " sent a second response");
        }
        message = response instanceof MessageLite m ? m.toByteString() : serialize(response);
    }

    private ByteString serialize(R response) {
        try (InputStream in = method.getMethodDescriptor().streamResponse(response)) {
            return ByteString.readFrom(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize response of "
                    + method.getMethodDescriptor().getFullMethodName(), e);
        }
    }

    @Override
    public void close(Status status, Metadata trailers) {
        if (!status.isOk()) {
            fail(mapFailure(status));
            return;
        }
        ByteString payload = message == null ? ByteString.EMPTY : message;
        if (payload.size() > TtrpcFrameDecoder.MAX_DATA_LENGTH) {
            fail(Status.RESOURCE_EXHAUSTED.withDescription("ttrpc response of %s too large: %d bytes (expected: <= %d)"
                    .formatted(method.getMethodDescriptor().getFullMethodName(), payload.size(),
                            TtrpcFrameDecoder.MAX_DATA_LENGTH)));
            return;
        }
        answer(Response.newBuilder().setStatus(ErrorStatus.toRpcStatus(Status.OK)).setPayload(payload).build(), false);
    }

    /** Answers with an error status unless the call was answered already. */
    void fail(Status status) {
        answer(errorResponse(status), false);
    }

    /** Called when the call's context is cancelled: by deadline, connection close or shutdown. */
    void cancelled(Throwable cause) {
        Status status = cause instanceof TimeoutException
                ? Status.DEADLINE_EXCEEDED.withDescription("ttrpc deadline of %d ms exceeded for %s/%s".formatted(
                        request.getTimeoutNano() / 1_000_000, request.getService(), request.getMethod()))
                : cause == null ? Status.CANCELLED : Status.fromThrowable(cause);
        answer(errorResponse(status), true);
    }

    @Override
    public boolean isDone() {
        return answered.get();
    }

    @Override
    public void cancel(Status reason) {
        context.cancel(reason.asRuntimeException());
    }

    private void answer(Response response, boolean byCancel) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        if (byCancel) {
            cancelled = true;
        }
        try {
            responder.accept(response);
        } finally {
            onDone.run();
            ServerCall.Listener<Q> l = listener;
            if (l != null) {
                notifyListener(l, byCancel);
            }
            if (!byCancel) {
                context.cancel(null);
            }
        }
    }

    private void notifyListener(ServerCall.Listener<Q> l, boolean byCancel) {
        try {
            if (byCancel) {
                l.onCancel();
            } else {
                l.onComplete();
            }
        } catch (RuntimeException e) {
            LOG.warn("event=ttrpc_listener_failed method={} error=\"{}\"",
                    method.getMethodDescriptor().getFullMethodName(), e.toString());
        }
    }

    private Status mapFailure(Throwable t) {
        Status status = ErrorStatus.toStatus(t);
        if (status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.INTERNAL) {
            LOG.warn("event=ttrpc_call_failed method={}/{} code={}", request.getService(), request.getMethod(),
                    status.getCode(), t);
        }
        return status;
    }

    private Status mapFailure(Status status) {
        Throwable cause = status.getCause();
        if (cause != null && status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null) {
            return mapFailure(cause);
        }
        return status;
    }

    static Response errorResponse(Status status) {
        return Response.newBuilder().setStatus(ErrorStatus.toRpcStatus(status)).build();
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public Attributes getAttributes() {
        return Attributes.EMPTY;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
        return method.getMethodDescriptor();
    }

    private static final class StatusParseException extends Exception {
        private final transient Status status;

        StatusParseException(Status status) {
            super(status.getDescription(), null, false, false);
            this.status = status;
        }
    }
}
