package dev.restoreshim.errors;

import java.util.Objects;

/**
 * A classified failure. The message names the operation, the input and the reason, for example
 * {@code create task "web": rootfs mount 0: source /x does not exist}; it is what a containerd
 * client sees, so it never carries a stack trace.
 */
public class ShimException extends RuntimeException {
    private final ErrorKind kind;

    public ShimException(ErrorKind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public ShimException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public ErrorKind kind() {
        return kind;
    }

    public static ShimException notFound(String message) {
        return new ShimException(ErrorKind.NOT_FOUND, message);
    }

    public static ShimException alreadyExists(String message) {
        return new ShimException(ErrorKind.ALREADY_EXISTS, message);
    }

    public static ShimException failedPrecondition(String message) {
        return new ShimException(ErrorKind.FAILED_PRECONDITION, message);
    }

    public static ShimException invalidArgument(String message) {
        return new ShimException(ErrorKind.INVALID_ARGUMENT, message);
    }

    public static ShimException notImplemented(String message) {
        return new ShimException(ErrorKind.NOT_IMPLEMENTED, message);
    }

    public static ShimException internal(String message, Throwable cause) {
        return new ShimException(ErrorKind.INTERNAL, message, cause);
    }
}
