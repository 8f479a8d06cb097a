package dev.restoreshim.errors;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one mapping from failures to wire status, used by the gRPC interceptor and the TTRPC
 * dispatcher alike. A {@link ShimException} maps to its kind's code; an existing gRPC status
 * passes through unchanged; anything else becomes UNKNOWN with its message only.
 */
public final class ErrorStatus {
    private ErrorStatus() {
    }

    /** The gRPC status for a failure. */
    public static Status toStatus(Throwable failure) {
        Throwable t = unwrap(failure);
        return switch (t) {
            case ShimException e -> Status.fromCode(e.kind().code()).withDescription(e.getMessage());
            case StatusRuntimeException e -> e.getStatus();
            case StatusException e -> e.getStatus();
            case UnsupportedOperationException e -> Status.UNIMPLEMENTED.withDescription(message(e));
            case IllegalArgumentException e -> Status.INVALID_ARGUMENT.withDescription(message(e));
            case InterruptedException e -> Status.CANCELLED.withDescription("interrupted");
            default -> Status.UNKNOWN.withDescription(message(t));
        };
    }

    /** The {@code google.rpc.Status} TTRPC sends for a failure. */
    public static com.google.rpc.Status toRpcStatus(Throwable failure) {
        return toRpcStatus(toStatus(failure));
    }

    /** The {@code google.rpc.Status} form of a gRPC status. */
    public static com.google.rpc.Status toRpcStatus(Status status) {
        var b = com.google.rpc.Status.newBuilder().setCode(status.getCode().value());
        if (status.getDescription() != null) {
            b.setMessage(status.getDescription());
        }
        return b.build();
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
