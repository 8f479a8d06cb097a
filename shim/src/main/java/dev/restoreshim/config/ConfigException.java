package dev.restoreshim.config;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;

/**
 * A bad configuration: the message names the file (or "defaults"), the key and the reason, for
 * example {@code config /etc/restore-shim/config.toml: key "protocol": must be "ttrpc" or "grpc", got "http"}.
 */
public final class ConfigException extends ShimException {
    private final String origin;
    private final String key;

    /**
     * @param origin the file the value came from, or a description such as "defaults"
     * @param key the TOML key, dotted for tables ({@code restore.cache_dir}); null for the whole file
     * @param reason what is wrong, naming the bad value
     */
    public ConfigException(String origin, String key, String reason) {
        super(ErrorKind.INVALID_ARGUMENT, format(origin, key, reason));
        this.origin = origin;
        this.key = key;
    }

    /** Where the bad value came from. */
    public String origin() {
        return origin;
    }

    /** The offending key, or null when the whole file is unreadable. */
    public String key() {
        return key;
    }

    private static String format(String origin, String key, String reason) {
        return key == null
                ? "config " + origin + ": " + reason
                : "config " + origin + ": key \"" + key + "\": " + reason;
    }
}
