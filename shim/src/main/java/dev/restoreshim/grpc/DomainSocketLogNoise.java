package dev.restoreshim.grpc;

/**
 * Silences Netty's {@code Unknown channel option 'SO_KEEPALIVE'} warning: grpc-netty sets that
 * option on every accepted connection, and domain sockets do not have it. The warning comes from
 * the {@code io.netty.bootstrap} loggers, whose level is fixed when Netty first creates them, so
 * call {@link #silence()} before any server starts (first thing in {@code main}).
 */
public final class DomainSocketLogNoise {
    private static final String SIMPLE_LOGGER_KEY = "org.slf4j.simpleLogger.log.io.netty.bootstrap";

    /** Held so the JUL logger, and the level set on it, is not garbage collected. */
    private static final java.util.logging.Logger JUL_BOOTSTRAP = java.util.logging.Logger.getLogger("io.netty.bootstrap");

    private DomainSocketLogNoise() {
    }

    /** Raises the {@code io.netty.bootstrap} log level to error, for slf4j-simple and JUL. */
    public static void silence() {
        if (System.getProperty(SIMPLE_LOGGER_KEY) == null) {
            System.setProperty(SIMPLE_LOGGER_KEY, "error");
        }
        JUL_BOOTSTRAP.setLevel(java.util.logging.Level.SEVERE);
    }
}
