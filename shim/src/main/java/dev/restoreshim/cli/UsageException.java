package dev.restoreshim.cli;

/** A bad command line: {@link Main} prints the one-line message and exits with {@link Main#EXIT_USAGE}. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message, null, false, false);
    }
}
