package dev.restoreshim.restore;

import dev.restoreshim.criu.CriuException;
import dev.restoreshim.criu.CriuLog;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.nio.file.Path;

/**
 * The one place CRIU failures become the shim's errors: a {@link CriuException}'s reason maps to
 * an {@link ErrorKind}, and a failed {@code runc restore} gets CRIU's first real error from
 * {@code restore.log} ({@link CriuLog}) and the log path.
 */
public final class CriuErrors {
    private CriuErrors() {
    }

    /** {@code e} as a ShimException: invalid options are INVALID_ARGUMENT, missing support or keys FAILED_PRECONDITION. */
    public static ShimException toShim(CriuException e) {
        ErrorKind kind = switch (e.reason()) {
            case INVALID_OPTION -> ErrorKind.INVALID_ARGUMENT;
            case UNSUPPORTED, KEY_UNAVAILABLE -> ErrorKind.FAILED_PRECONDITION;
            case CRIU_FAILED, LAZY_PAGES_FAILED -> ErrorKind.INTERNAL;
        };
        return new ShimException(kind, e.getMessage(), e);
    }

    /**
     * {@code failure} of a restore whose CRIU work directory is {@code workDir}, with CRIU's first
     * real error (classified: missing file with its path, mount mismatch, pid in use, unsupported
     * feature, ...) and the log path added when the log has one; otherwise {@code failure} itself.
     * The error kind stays that of {@code failure}.
     */
    public static RuntimeException explain(RuntimeException failure, Path workDir) {
        return CriuLog.explain(String.valueOf(failure.getMessage()), workDir)
                .<RuntimeException>map(message -> new ShimException(
                        failure instanceof ShimException s ? s.kind() : ErrorKind.INTERNAL, message, failure))
                .orElse(failure);
    }
}
