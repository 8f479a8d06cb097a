package dev.restoreshim.criu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * CRIU's cache of its kernel probe ("kdat") on hosts whose {@code /run} is not a tmpfs.
 *
 * <p>Every CRIU run starts by probing the kernel's features (kerndat: tens of ms) unless it can
 * load {@code /run/criu.kdat}. CRIU writes that file only when {@code /run} is a tmpfs, so that
 * it is gone after a reboot: on load it checks only that the file comes from the same CRIU build,
 * not from the running kernel. On a host whose {@code /run} is a disk (containers, some VMs) each
 * lazy restore pays the probe twice on its way to a running process: in the lazy-pages daemon and
 * in the CRIU that runc runs.
 *
 * <p>{@link #provide} gives such a host the cache CRIU would have kept itself: it runs CRIU once
 * in a private mount namespace whose {@code /run} is a fresh tmpfs (so CRIU writes its own
 * cache there), keeps the bytes in a file under a tmpfs directory of ours ({@code /dev/shm}), and
 * bind-mounts that file over {@code /run/criu.kdat}. The lifetime is CRIU's: after a reboot the
 * file and the bind mount are gone, and what is left on {@code /run} is an empty placeholder,
 * which CRIU discards as stale. A CRIU of another build sees a foreign magic and probes as before.
 * Nothing is done where {@code /run} is already a tmpfs (CRIU keeps its cache there itself).
 *
 * <p>{@link #ensure} puts the bind mount back if someone removed it (another node daemon that
 * stopped); {@link #close} removes it and the placeholder. Node daemons of one host share the
 * file, serialised by a lock file next to it.
 */
public final class KdatCache implements AutoCloseable {
    /** Where CRIU (built with RUNDIR=/run, as Debian's is) looks for its cache. */
    public static final Path CRIU_CACHE = Path.of("/run/criu.kdat");
    /** Where this class keeps the cache: a directory on /dev/shm, a tmpfs on every Linux host. */
    public static final Path DEFAULT_STORE = Path.of("/dev/shm/restore-shim");

    /** The bind mount and its removal; the shim implements them with mount(2) and umount2(2). */
    public interface Binder {
        /** Bind-mounts the file {@code source} over the file {@code target}. */
        void bind(Path source, Path target);

        /** Detaches the mount at {@code target}. */
        void unmount(Path target);
    }

    /**
     * What {@link #provide} found: the cache is in place, not needed, could not be provided (and
     * why), or the operator turned it off ({@link #disabled}).
     */
    public enum State {
        PROVIDED, NOT_NEEDED, UNAVAILABLE, DISABLED
    }

    private final State state;
    private final String reason;
    private final Path target;
    private final Path store;
    /** The cache file in {@code store}, bound over {@code target}. */
    private final Path file;
    private final byte[] bytes;
    private final Binder binder;

    private KdatCache(State state, String reason, Path target, Path store, byte[] bytes, Binder binder) {
        this.state = state;
        this.reason = reason;
        this.target = target;
        this.store = store;
        this.file = store.resolve("criu.kdat");
        this.bytes = bytes;
        this.binder = binder;
    }

    /**
     * For the host's {@code /run/criu.kdat}: probes with {@code criu} and binds the cache unless
     * {@code /run} is a tmpfs. Never throws: a cache that cannot be provided only costs time, and
     * {@link #reason} says why.
     */
    public static KdatCache provide(String criu, Binder binder) {
        return provide(criu, CRIU_CACHE, DEFAULT_STORE, binder, KdatCache::probe);
    }

    /** No cache provided, because the operator said so ({@code why}); CRIU probes on every run unless it caches itself. */
    public static KdatCache disabled(String why) {
        return new KdatCache(State.DISABLED, why, CRIU_CACHE, DEFAULT_STORE, null, null);
    }

    /** The same for any target and store, with the probe given (tests). */
    static KdatCache provide(String criu, Path target, Path store, Binder binder, Probe probe) {
        try {
            if (isTmpfs(target.getParent())) {
                return new KdatCache(State.NOT_NEEDED, target.getParent() + " is a tmpfs: CRIU keeps its own cache there",
                        target, store, null, binder);
            }
            if (!isTmpfs(store.getParent())) {
                return unavailable(store.getParent() + " is not a tmpfs, so a cache kept there would outlive a reboot",
                        target, store, binder);
            }
            byte[] bytes = probe.kdat(criu);
            if (bytes.length == 0) {
                return unavailable(criu + " wrote no cache in a private mount namespace with a tmpfs /run", target,
                        store, binder);
            }
            KdatCache cache = new KdatCache(State.PROVIDED, "", target, store, bytes, binder);
            String failed = cache.place(true);
            return failed.isEmpty() ? cache : unavailable(failed, target, store, binder);
        } catch (IOException | RuntimeException e) {
            return unavailable(String.valueOf(e.getMessage()), target, store, binder);
        }
    }

    private static KdatCache unavailable(String reason, Path target, Path store, Binder binder) {
        return new KdatCache(State.UNAVAILABLE, reason, target, store, null, binder);
    }

    /** Runs CRIU with a fresh tmpfs as /run and returns the cache it wrote there. */
    @FunctionalInterface
    interface Probe {
        byte[] kdat(String criu) throws IOException;
    }

    private static byte[] probe(String criu) throws IOException {
        // criu check runs the kernel probe first and saves it to /run/criu.kdat, a tmpfs here
        ProcessCriuCommand.Output o = ProcessCriuCommand.runBounded(List.of("unshare", "--mount", "--propagation",
                "private", "--", "sh", "-c", "mount -t tmpfs -o size=1m,mode=0755 restore-shim-kdat /run && \"$0\""
                        + " check --feature uffd-noncoop >/dev/null 2>&1; exec cat /run/criu.kdat", criu),
                Duration.ofSeconds(30), false);
        if (!o.problem().isEmpty()) {
            throw new IOException("CRIU's kernel probe: " + o.problem());
        }
        return o.exitCode() == 0 ? o.bytes() : new byte[0];
    }

    /** Whether the cache is in place, not needed, unavailable or disabled. */
    public State state() {
        return state;
    }

    /** Why the cache is not needed or not available; empty when provided. */
    public String reason() {
        return reason;
    }

    /**
     * For {@code restore-shim status}: {@code provided: /run/criu.kdat bound from <file>}, or the
     * state and the reason.
     */
    public String describe() {
        String name = state.name().toLowerCase(java.util.Locale.ROOT);
        return state == State.PROVIDED ? name + ": " + target + " bound from " + file
                : name + ": " + reason;
    }

    /**
     * Puts the cache back in place if it is not (another node daemon that stopped took the bind
     * mount with it). Cheap when it is: two stat calls. Failures are returned, not thrown: a
     * missing cache only costs time.
     *
     * @return empty when the cache is in place (or not needed), else why not
     */
    public synchronized String ensure() {
        return place(false);
    }

    /**
     * Binds the store file over the target unless it is already; with {@code refresh} first
     * rewrites the store file even when it is bound (a daemon killed before, or of an older CRIU
     * build, may have left other bytes there).
     */
    private String place(boolean refresh) {
        if (state != State.PROVIDED) {
            return "";
        }
        try {
            if (!refresh && bound()) {
                return "";
            }
            locked(() -> {
                writeIfDifferent();
                if (bound()) {
                    return; // another daemon bound it meanwhile
                }
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
                binder.bind(file, target);
            });
            return "";
        } catch (IOException | RuntimeException e) {
            return "cannot bind " + file + " over " + target + ": " + e.getMessage();
        }
    }

    /**
     * Removes the bind mount (when it is this cache's), the empty placeholder under it and the
     * store. Another node daemon still running puts them back at its next restore.
     */
    @Override
    public synchronized void close() {
        if (state != State.PROVIDED) {
            return;
        }
        try {
            locked(() -> {
                if (bound()) {
                    binder.unmount(target);
                }
                if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && Files.size(target) == 0) {
                    Files.deleteIfExists(target);
                }
                Files.deleteIfExists(file);
            });
            Files.deleteIfExists(store.resolve("lock"));
            Files.deleteIfExists(store);
        } catch (IOException | RuntimeException e) {
            // best effort: a cache left until reboot is what CRIU itself does on a tmpfs /run
        }
    }

    private boolean bound() throws IOException {
        return Files.exists(target) && Files.exists(file) && Files.isSameFile(target, file);
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    /** Runs {@code action} holding the store's lock file, which node daemons of this host share. */
    private void locked(IoAction action) throws IOException {
        Files.createDirectories(store, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        // /dev/shm is world-writable: use the directory only if it is ours and closed to others
        Map<String, Object> a = Files.readAttributes(store, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!Files.isDirectory(store, LinkOption.NOFOLLOW_LINKS) || (Integer) a.get("uid") != uid
                || ((Integer) a.get("mode") & 0077) != 0) {
            throw new IOException(store + " is not a directory of uid " + uid + " closed to others");
        }
        try (FileChannel ch = FileChannel.open(store.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            action.run();
        }
    }

    /** Rewrites the store file in place (it may be bound already) when its bytes differ. */
    private void writeIfDifferent() throws IOException {
        try {
            if (Arrays.equals(Files.readAllBytes(file), bytes)) {
                return;
            }
        } catch (NoSuchFileException e) {
            // first daemon on this boot
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    private static boolean isTmpfs(Path dir) throws IOException {
        return Files.isDirectory(dir) && "tmpfs".equals(Files.getFileStore(dir).type());
    }
}
