package dev.restoreshim.restore;

import dev.restoreshim.config.RestoreSettings;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.overlay.DeltaCache;
import dev.restoreshim.overlay.DeltaLayer;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How restores keep a checkpoint's filesystem delta in the {@link DeltaCache}: as an EROFS image
 * ({@link ErofsDelta}) when the host can build and mount one, else extracted into a directory
 * ({@code restore.delta}, decided once at daemon start by {@link #forHost}).
 *
 * @param choice the configured choice
 * @param erofs builds delta images, or null when they are not used here
 * @param unavailable why EROFS images cannot be used (empty when they can)
 * @param maxImagePaths the most paths a delta built as an image may have; a larger one is
 *     extracted into a directory ({@link DeltaLayer#IMAGE_MAX_PATHS} by default)
 */
public record DeltaStore(RestoreSettings.Delta choice, ErofsDelta erofs, String unavailable, long maxImagePaths) {
    public DeltaStore {
        Objects.requireNonNull(choice, "choice");
        Objects.requireNonNull(unavailable, "unavailable");
        if (maxImagePaths < 1) {
            throw new IllegalArgumentException("maxImagePaths must be positive: " + maxImagePaths);
        }
    }

    /** A store whose image builds are bounded by {@link DeltaLayer#IMAGE_MAX_PATHS}. */
    public DeltaStore(RestoreSettings.Delta choice, ErofsDelta erofs, String unavailable) {
        this(choice, erofs, unavailable, DeltaLayer.IMAGE_MAX_PATHS);
    }

    /** Always directories (tests, and hosts where nothing else was set up). */
    public static DeltaStore directories() {
        return new DeltaStore(RestoreSettings.Delta.DIRECTORY, null, "restore.delta is \"directory\"");
    }

    /** Probes the host as {@link ImagePolicy#forHost} does; {@code mkfs.erofs} runs through {@code launcher}. */
    public static DeltaStore forHost(RestoreSettings.Delta choice, ProcessLauncher launcher, Reaper reaper, Fds fds,
                                     Signals signals) {
        if (choice == RestoreSettings.Delta.DIRECTORY) {
            return directories();
        }
        String missing = ImagePolicy.erofsMissing(Path.of("/proc/filesystems"),
                System.getenv().getOrDefault("PATH", ""));
        if (!missing.isEmpty()) {
            return new DeltaStore(choice, null, missing);
        }
        return new DeltaStore(choice, new ErofsDelta(new HostTool(launcher, reaper, fds, signals, ErofsMetadata.TIMEOUT),
                "mkfs.erofs"), "");
    }

    /**
     * The format a restore of {@code archive} keeps its delta in.
     *
     * @throws ShimException FAILED_PRECONDITION when EROFS is required but cannot be used
     */
    DeltaCache.Format format(Path archive) {
        if (erofs != null) {
            return DeltaCache.Format.EROFS;
        }
        if (choice == RestoreSettings.Delta.EROFS) {
            throw ShimException.failedPrecondition("archive " + archive + ": restore.delta is \"erofs\" but EROFS"
                    + " cannot be used here: " + unavailable);
        }
        return DeltaCache.Format.DIRECTORY;
    }
}
