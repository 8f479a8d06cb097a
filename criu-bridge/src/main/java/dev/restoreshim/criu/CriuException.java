package dev.restoreshim.criu;

import java.util.Objects;

/**
 * A CRIU-related failure with a reason the caller maps to its own error vocabulary (the shim's
 * {@code restore} package does). Messages name the operation, the input and the reason; they
 * never carry the content of a key file.
 */
public final class CriuException extends RuntimeException {
    /** Why; each maps to one error kind of the shim. */
    public enum Reason {
        /** An option, annotation or value that is not accepted (INVALID_ARGUMENT). */
        INVALID_OPTION,
        /** The installed CRIU or kernel cannot do what the checkpoint or the options need (FAILED_PRECONDITION). */
        UNSUPPORTED,
        /** A key or certificate file that is missing, unreadable or outside the allowed directories (FAILED_PRECONDITION). */
        KEY_UNAVAILABLE,
        /** CRIU ran and failed; the message holds its first real error and the log path (INTERNAL). */
        CRIU_FAILED,
        /** The lazy-pages daemon could not start or failed (INTERNAL). */
        LAZY_PAGES_FAILED
    }

    private final Reason reason;

    public CriuException(Reason reason, String message) {
        this(reason, message, null);
    }

    public CriuException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why it failed. */
    public Reason reason() {
        return reason;
    }
}
