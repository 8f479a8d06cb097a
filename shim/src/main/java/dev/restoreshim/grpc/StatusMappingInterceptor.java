package dev.restoreshim.grpc;

import dev.restoreshim.errors.ErrorStatus;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns failures into the status {@link ErrorStatus} chooses. Without it an exception thrown by a
 * service reaches the client as a bare UNKNOWN, and a {@code ShimException} passed to
 * {@code onError} loses its kind. Covers both: exceptions thrown from the listener callbacks, and
 * a close with UNKNOWN that only carries a cause. Unclassified failures are logged here, once,
 * with their stack trace; the client gets the message only.
 */
public final class StatusMappingInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(StatusMappingInterceptor.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        var mapped = new MappingCall<>(call);
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(mapped, headers);
        } catch (RuntimeException e) {
            mapped.fail(e);
            return new ServerCall.Listener<>() {
            };
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                guard(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                guard(super::onHalfClose);
            }

            @Override
            public void onReady() {
                guard(super::onReady);
            }

            private void guard(Runnable r) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    mapped.fail(e);
                }
            }
        };
    }

    static Status map(Throwable failure, String method) {
        Status status = ErrorStatus.toStatus(failure);
        if (status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.INTERNAL) {
            LOG.warn("event=grpc_call_failed method={} code={}", method, status.getCode(), failure);
        }
        return status;
    }

    private static final class MappingCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        /** Set once the call is closed; calls are closed from one thread at a time by grpc's contract. */
        private volatile boolean closed;

        MappingCall(ServerCall<Q, R> delegate) {
            super(delegate);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (closed) {
                return;
            }
            closed = true;
            Throwable cause = status.getCause();
            if (cause != null && status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null) {
                status = map(cause, getMethodDescriptor().getFullMethodName());
            }
            super.close(status, trailers);
        }

        void fail(Throwable failure) {
            if (!closed) {
                close(map(failure, getMethodDescriptor().getFullMethodName()), new Metadata());
            }
        }
    }
}
