package dev.restoreshim.config;

import dev.restoreshim.proto.runtimeoptions.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where the configuration comes from, in this order: the runtime handler's
 * {@code options.ConfigPath} (containerd sends it as {@code runtimeoptions.v1.Options.config_path},
 * CRI-O as {@code runtime_config_path}), the environment variable {@value #ENV}, the file
 * {@code /etc/restore-shim/config.toml}, else the defaults. A file named explicitly (the first two)
 * must exist; the default file may be absent.
 *
 * @param file the file to read, or null for the defaults
 * @param via how the file was chosen, for messages
 */
public record ConfigLocation(Path file, Via via) {
    /** Environment variable naming the config file. */
    public static final String ENV = "RESTORE_SHIM_CONFIG";
    /** The conventional config file. */
    public static final Path DEFAULT_FILE = Path.of("/etc/restore-shim/config.toml");

    /** How a config file was chosen. */
    public enum Via { HANDLER_OPTIONS, COMMAND_LINE, ENVIRONMENT, DEFAULT_FILE, DEFAULTS }

    /** Requires a file unless {@code via} is {@link Via#DEFAULTS}. */
    public ConfigLocation {
        Objects.requireNonNull(via, "via");
        if ((file == null) != (via == Via.DEFAULTS)) {
            throw new IllegalArgumentException("a file is required exactly when not using defaults, got " + via + " " + file);
        }
    }

    /**
     * Chooses the config source.
     *
     * @param handlerOptions the runtime handler's options, or null when none were sent
     * @param env the environment (System.getenv() in production)
     * @param defaultFile {@link #DEFAULT_FILE} in production
     */
    public static ConfigLocation resolve(Options handlerOptions, Map<String, String> env, Path defaultFile) {
        if (handlerOptions != null && !handlerOptions.getConfigPath().isBlank()) {
            return new ConfigLocation(Path.of(handlerOptions.getConfigPath()), Via.HANDLER_OPTIONS);
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new ConfigLocation(Path.of(fromEnv), Via.ENVIRONMENT);
        }
        if (Files.exists(defaultFile)) {
            return new ConfigLocation(defaultFile, Via.DEFAULT_FILE);
        }
        return new ConfigLocation(null, Via.DEFAULTS);
    }

    /** A file given as {@code --config} on the command line; null means resolve as usual. */
    public static ConfigLocation commandLineOr(String configArg, Map<String, String> env, Path defaultFile) {
        if (configArg != null) {
            return new ConfigLocation(Path.of(configArg), Via.COMMAND_LINE);
        }
        return resolve(null, env, defaultFile);
    }

    /** Reads and validates the chosen file, or returns the defaults. */
    public ShimConfig load() {
        return file == null ? ShimConfig.defaults() : ConfigFile.read(file);
    }
}
