package dev.restoreshim.config;

import dev.restoreshim.criu.CriuPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The node-wide configuration of restore-shim, read from TOML by {@link ConfigFile} (see
 * {@code docs/configuration.md}). Every field has a default, so an absent file is a valid
 * configuration.
 *
 * <p>The launcher script reads {@code state_dir}, {@code protocol}, {@code java} and
 * {@code java_options} itself with sed, so those values are restricted to what a line-based reader
 * gets right: plain strings without quotes, backslashes or {@code #}.
 *
 * @param stateDir root of runtime state: daemon directories under {@code d/}; absolute, short
 *     enough for Unix socket paths
 * @param runtime the OCI runtime binary (name looked up in PATH, or absolute path)
 * @param runtimeRoot the OCI runtime's {@code --root}; one subdirectory per containerd namespace
 * @param criu the CRIU binary ({@code criu = "..."} or {@code [criu] binary}); probed at daemon start,
 *     and put first on runc's PATH when it is an absolute path to a file named {@code criu}
 * @param protocol what {@code start} advertises to containerd
 * @param logLevel the daemon's log threshold
 * @param java the java binary that runs the daemon
 * @param javaOptions extra JVM options for the daemon, split on spaces
 * @param restore the {@code [restore]} table
 * @param criuPolicy the {@code [criu]} table: default CRIU options, what pods may set, key directories
 * @param criuKdatCache {@code [criu] kdat_cache}: where {@code /run} is not a tmpfs, provide CRIU's
 *     kernel-probe cache by a bind mount over {@code /run/criu.kdat} (docs/criu.md)
 * @param origin the file this came from, or "defaults"; used in error messages
 */
public record ShimConfig(
        Path stateDir,
        String runtime,
        Path runtimeRoot,
        String criu,
        Protocol protocol,
        LogLevel logLevel,
        String java,
        List<String> javaOptions,
        RestoreSettings restore,
        CriuPolicy criuPolicy,
        boolean criuKdatCache,
        String origin) {

    /** Default state directory (tmpfs on systemd hosts: cleared at boot like containerd's). */
    public static final Path DEFAULT_STATE_DIR = Path.of("/run/restore-shim");
    /** The longest state directory whose socket paths still fit {@code sun_path} (108 bytes). */
    public static final int MAX_STATE_DIR_LENGTH =
            107 - (DaemonLayout.DIR_PREFIX.length() + DaemonLayout.ID_HEX_LENGTH + "/admin.sock".length());

    /** Validates every field, naming the key and {@code origin} in the error. */
    public ShimConfig {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(restore, "restore");
        Objects.requireNonNull(criuPolicy, "criuPolicy");
        requireLauncherSafe(origin, "state_dir", Objects.requireNonNull(stateDir, "stateDir").toString());
        if (!stateDir.isAbsolute()) {
            throw new ConfigException(origin, "state_dir", "must be an absolute path, got \"" + stateDir + "\"");
        }
        if (stateDir.toString().length() > MAX_STATE_DIR_LENGTH) {
            throw new ConfigException(origin, "state_dir", "must be at most " + MAX_STATE_DIR_LENGTH
                    + " characters so that socket paths fit in 108 bytes, got " + stateDir.toString().length());
        }
        requireNonBlank(origin, "runtime", runtime);
        requireLauncherSafe(origin, "runtime", runtime);
        if (!Objects.requireNonNull(runtimeRoot, "runtimeRoot").isAbsolute()) {
            throw new ConfigException(origin, "runtime_root", "must be an absolute path, got \"" + runtimeRoot + "\"");
        }
        requireLauncherSafe(origin, "runtime_root", runtimeRoot.toString());
        requireNonBlank(origin, "criu", criu);
        requireNonBlank(origin, "java", java);
        requireLauncherSafe(origin, "java", java);
        javaOptions = List.copyOf(javaOptions);
        for (String option : javaOptions) {
            requireLauncherSafe(origin, "java_options", option);
            if (option.isBlank() || option.chars().anyMatch(Character::isWhitespace)) {
                throw new ConfigException(origin, "java_options", "options are split on spaces, got \"" + option + "\"");
            }
        }
    }

    /** The configuration when no file is given: see the constants and {@code docs/configuration.md}. */
    public static ShimConfig defaults() {
        return new ShimConfig(DEFAULT_STATE_DIR, "runc", DEFAULT_STATE_DIR.resolve("runc"), "criu",
                Protocol.TTRPC, LogLevel.INFO, defaultJava(), List.of(), RestoreSettings.defaults(), CriuPolicy.closed(),
                true, "defaults");
    }

    /** The java binary of the running JVM: the JDK the installed wrapper (and install.sh) chose. */
    public static String defaultJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The daemon directory that serves the containerd at {@code containerdAddress}. */
    public DaemonLayout daemonFor(String containerdAddress) {
        return DaemonLayout.forContainerd(stateDir, containerdAddress);
    }

    private static void requireNonBlank(String origin, String key, String value) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(origin, key, "must not be empty");
        }
    }

    private static void requireLauncherSafe(String origin, String key, String value) {
        for (char c : new char[] {'"', '\'', '\\', '#', '\n'}) {
            if (value.indexOf(c) >= 0) {
                throw new ConfigException(origin, key, "must not contain quotes, backslashes, '#' or newlines"
                        + " (the launcher reads it with shell builtins), got \"" + value + "\"");
            }
        }
    }
}
