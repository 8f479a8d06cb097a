package dev.restoreshim.errors;

import io.grpc.Status;

/**
 * The closed set of error classes the shim reports, mirroring containerd's errdefs. Each kind
 * carries its canonical gRPC code, which TTRPC uses too (the codes are identical).
 */
public enum ErrorKind {
    NOT_FOUND(Status.Code.NOT_FOUND),
    ALREADY_EXISTS(Status.Code.ALREADY_EXISTS),
    FAILED_PRECONDITION(Status.Code.FAILED_PRECONDITION),
    INVALID_ARGUMENT(Status.Code.INVALID_ARGUMENT),
    RESOURCE_EXHAUSTED(Status.Code.RESOURCE_EXHAUSTED),
    UNAVAILABLE(Status.Code.UNAVAILABLE),
    NOT_IMPLEMENTED(Status.Code.UNIMPLEMENTED),
    DEADLINE_EXCEEDED(Status.Code.DEADLINE_EXCEEDED),
    CANCELLED(Status.Code.CANCELLED),
    INTERNAL(Status.Code.INTERNAL),
    UNKNOWN(Status.Code.UNKNOWN);

    private final Status.Code code;

    ErrorKind(Status.Code code) {
        this.code = code;
    }

    /** The gRPC (and TTRPC) status code this kind is reported as. */
    public Status.Code code() {
        return code;
    }
}
