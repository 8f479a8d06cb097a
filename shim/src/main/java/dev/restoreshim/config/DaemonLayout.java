package dev.restoreshim.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The files of one node daemon, shared by the launcher script, the daemon and the CLI. One daemon
 * serves one containerd instance; its directory is
 * {@code <state_dir>/d/<first 16 hex digits of sha256(containerd address)>}. The launcher computes
 * the same name with {@code printf %s "$address" | sha256sum}; see {@code docs/launcher.md}.
 *
 * <pre>
 * lock          flock(1) by the launcher while it checks or starts the daemon
 * daemon.pid    written by the daemon before it binds
 * ttrpc.sock    containerd.task.v2.Task over TTRPC
 * grpc.sock     containerd.task.v3.Task over gRPC
 * admin.sock    grpc.health.v1.Health, restoreshim.admin.v1.Admin, reflection
 * ready         written by the daemon last, once all three sockets accept
 * daemon.log    the daemon's stdout and stderr (the launcher rotates one generation)
 * tasks/NS/ID.json  per-task state for re-adoption
 * restore/NS/ID     a restore's CRIU images mount (tmpfs or EROFS) while it is needed
 * restore/NS/ID.delta  an EROFS delta, mounted only around the overlay's mount call
 * </pre>
 *
 * @param dir the daemon directory
 */
public record DaemonLayout(Path dir) {
    /** The subdirectory of the state directory that holds daemon directories, with slashes. */
    public static final String DIR_PREFIX = "/d/";
    /** How many hex digits of the address hash name a daemon directory. */
    public static final int ID_HEX_LENGTH = 16;

    /** Requires an absolute directory. */
    public DaemonLayout {
        Objects.requireNonNull(dir, "dir");
        if (!dir.isAbsolute()) {
            throw new IllegalArgumentException("daemon directory must be absolute, got " + dir);
        }
    }

    /** The daemon directory for a containerd address (which may be empty, as CRI-O passes it). */
    public static DaemonLayout forContainerd(Path stateDir, String containerdAddress) {
        return new DaemonLayout(daemonsDir(stateDir).resolve(addressId(containerdAddress)));
    }

    /** The directory that holds every daemon directory: {@code <state_dir>/d}. */
    public static Path daemonsDir(Path stateDir) {
        return stateDir.resolve(DIR_PREFIX.substring(1, DIR_PREFIX.length() - 1));
    }

    /** First {@link #ID_HEX_LENGTH} lower-case hex digits of sha256 of the UTF-8 address. */
    public static String addressId(String containerdAddress) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(containerdAddress.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, ID_HEX_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public Path lockFile() {
        return dir.resolve("lock");
    }

    public Path pidFile() {
        return dir.resolve("daemon.pid");
    }

    public Path ttrpcSocket() {
        return dir.resolve("ttrpc.sock");
    }

    public Path grpcSocket() {
        return dir.resolve("grpc.sock");
    }

    public Path adminSocket() {
        return dir.resolve("admin.sock");
    }

    public Path readyFile() {
        return dir.resolve("ready");
    }

    public Path logFile() {
        return dir.resolve("daemon.log");
    }

    /** Directory of per-task state files. */
    public Path tasksDir() {
        return dir.resolve("tasks");
    }

    /** Where restores mount their CRIU images and EROFS deltas: {@code restore/<ns>/<id>[.delta]}. */
    public Path restoreDir() {
        return dir.resolve("restore");
    }

    /** The state file of one task: {@code tasks/<namespace>/<id>.json}. */
    public Path taskStateFile(String namespace, String id) {
        return tasksDir().resolve(requireName("namespace", namespace)).resolve(requireName("id", id) + ".json");
    }

    /** containerd identifiers are letters, digits, '.', '_' and '-', never a path. */
    private static String requireName(String what, String value) {
        if (value.isEmpty() || value.equals(".") || value.equals("..") || !value.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(what + " \"" + value + "\" is not a containerd identifier");
        }
        return value;
    }

    /** What {@code start} prints for TTRPC and what the bundle's {@code address} file holds. */
    public String ttrpcAddress() {
        return "unix://" + ttrpcSocket();
    }
}
