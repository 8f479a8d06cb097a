package dev.restoreshim.restore;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.Compression;
import dev.restoreshim.archive.EntryType;
import dev.restoreshim.archive.TarEntry;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.BackingDevices;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.PageCache;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How restores from archives get their {@link CriuImages}: the configured {@link ImageChoice},
 * and what the host offers for EROFS (decided once at daemon start by {@link #forHost}).
 *
 * <p>{@link ImageChoice#AUTO} mounts an uncompressed archive as EROFS when {@code mkfs.erofs}
 * is on PATH and {@code /proc/filesystems} lists {@code erofs}; a gzip or zstd archive has no
 * file data at fixed offsets, so its images are streamed into a tmpfs.
 *
 * @param choice the configured choice
 * @param erofs the EROFS metadata cache, or null when EROFS is unavailable here
 * @param erofsUnavailable why EROFS is unavailable (empty when it is available)
 * @param pageCache page cache advice for readahead of EROFS page images, or null for none
 * @param backingDevices where an EROFS mount's readahead window is set ({@link ErofsImages}), or
 *     null to leave the kernel's default
 */
public record ImagePolicy(ImageChoice choice, ErofsMetadata erofs, String erofsUnavailable, PageCache pageCache,
                          BackingDevices backingDevices) {
    /** Cap of the EROFS metadata cache (the files are KiB to a few MiB each). */
    static final long METADATA_MAX_BYTES = 256L << 20;

    /** What a restore uses. */
    enum Kind {
        TMPFS,
        EROFS
    }

    public ImagePolicy {
        Objects.requireNonNull(choice, "choice");
        Objects.requireNonNull(erofsUnavailable, "erofsUnavailable");
        if (erofs == null && erofsUnavailable.isEmpty()) {
            throw new IllegalArgumentException("erofsUnavailable: a reason is required without erofs");
        }
    }

    /** A policy that leaves the readahead window of EROFS mounts at the kernel's default. */
    public ImagePolicy(ImageChoice choice, ErofsMetadata erofs, String erofsUnavailable, PageCache pageCache) {
        this(choice, erofs, erofsUnavailable, pageCache, null);
    }

    /** Always tmpfs (tests, and hosts where nothing else was set up). */
    public static ImagePolicy tmpfsOnly() {
        return new ImagePolicy(ImageChoice.TMPFS, null, "not configured", null);
    }

    /**
     * Probes the host and opens the metadata cache under {@code metadataDir}; {@code mkfs.erofs}
     * then runs through {@code launcher} with {@link ErofsMetadata#TIMEOUT}.
     *
     * @param readahead null for no readahead of page images
     */
    public static ImagePolicy forHost(ImageChoice choice, Path metadataDir, ProcessLauncher launcher, Reaper reaper,
                                      Fds fds, Signals signals, PageCache readahead) {
        String missing = erofsMissing(Path.of("/proc/filesystems"), System.getenv().getOrDefault("PATH", ""));
        if (!missing.isEmpty() || choice == ImageChoice.TMPFS) {
            return new ImagePolicy(choice, null, missing.isEmpty() ? "restore.images is \"tmpfs\"" : missing, null);
        }
        try {
            var tool = new HostTool(launcher, reaper, fds, signals, ErofsMetadata.TIMEOUT);
            return new ImagePolicy(choice, ErofsMetadata.open(metadataDir, METADATA_MAX_BYTES, tool, "mkfs.erofs"), "",
                    readahead, BackingDevices.sysfs());
        } catch (IOException e) {
            return new ImagePolicy(choice, null, "erofs metadata dir " + metadataDir + ": " + e.getMessage(), null);
        }
    }

    /** Why this host cannot mount archives as EROFS, or empty when it can. */
    static String erofsMissing(Path procFilesystems, String pathEnv) {
        try {
            boolean listed = Files.readAllLines(procFilesystems).stream()
                    .anyMatch(l -> l.strip().equals("erofs") || l.strip().equals("nodev\terofs"));
            if (!listed) {
                return "the kernel has no erofs filesystem (" + procFilesystems + ")";
            }
        } catch (IOException e) {
            return "cannot read " + procFilesystems + ": " + e.getMessage();
        }
        for (String dir : pathEnv.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "mkfs.erofs"))) {
                return "";
            }
        }
        return "mkfs.erofs (erofs-utils) is not on PATH";
    }

    /**
     * The kind of images a restore of {@code archive} uses.
     *
     * @throws ShimException FAILED_PRECONDITION when EROFS is required but cannot be used
     */
    Kind kindFor(CheckpointArchive archive) {
        boolean plain = archive.compression() == Compression.NONE && archive.indexed();
        return switch (choice) {
            case TMPFS -> Kind.TMPFS;
            case AUTO -> plain && erofs != null ? Kind.EROFS : Kind.TMPFS;
            case EROFS -> {
                if (!plain) {
                    throw ShimException.failedPrecondition("archive " + archive.path() + ": restore.images is \"erofs\""
                            + " but the archive is " + archive.compression().name().toLowerCase()
                            + "-compressed; only an uncompressed tar can be mounted in place");
                }
                if (erofs == null) {
                    throw ShimException.failedPrecondition("archive " + archive.path()
                            + ": restore.images is \"erofs\" but EROFS cannot be used here: " + erofsUnavailable);
                }
                yield Kind.EROFS;
            }
        };
    }

    /**
     * Checks what CRIU will read in place: every member named {@code checkpoint} or under
     * {@code checkpoint/} is a directory or a regular file (a symlink, hardlink, device or fifo
     * could point CRIU outside the archive or read as an empty image), no name appears twice, and
     * {@code checkpoint/inventory.img} is there.
     *
     * @throws ShimException INVALID_ARGUMENT naming the archive, the member and the reason
     */
    static void checkInPlaceMembers(CheckpointArchive archive) {
        Set<String> seen = new HashSet<>();
        boolean inventory = false;
        for (TarEntry e : archive.index().entries()) {
            if (!e.name().equals("checkpoint") && !e.isUnder("checkpoint")) {
                continue;
            }
            if (e.type() != EntryType.FILE && e.type() != EntryType.DIRECTORY) {
                throw ShimException.invalidArgument("archive " + archive.path() + ": entry \"" + e.name()
                        + "\": a CRIU image must be a regular file, not " + e.type().name().toLowerCase());
            }
            if (e.name().equals("checkpoint") && e.type() != EntryType.DIRECTORY) {
                throw ShimException.invalidArgument("archive " + archive.path() + ": entry \"checkpoint\": must be a directory");
            }
            if (!seen.add(e.name()) && e.type() == EntryType.FILE) {
                throw ShimException.invalidArgument("archive " + archive.path() + ": entry \"" + e.name()
                        + "\": appears twice; which copy CRIU would read is ambiguous");
            }
            inventory |= e.name().equals("checkpoint/inventory.img") && e.isFile();
        }
        if (!inventory) {
            throw ShimException.invalidArgument("archive " + archive.path()
                    + ": no checkpoint/inventory.img (the first image CRIU reads); not a CRIU checkpoint");
        }
    }

    /** The page images of {@code archive} as ranges of the files under {@code imagesDir}. */
    static List<PageReadahead.Range> pageRanges(CheckpointArchive archive, Path imagesDir) {
        return archive.index().entries().stream()
                .filter(e -> e.isFile() && e.isUnder("checkpoint") && e.fileName().startsWith("pages-")
                        && e.fileName().endsWith(".img") && e.size() > 0)
                .map(e -> new PageReadahead.Range(imagesDir.resolve(e.name().substring(ImageStaging.PREFIX.length())),
                        0, e.size()))
                .toList();
    }

    /** At most half of {@code MemAvailable} is read ahead (1 GiB when it cannot be read). */
    static long readaheadLimit() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemAvailable:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024 / 2;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 1L << 30;
    }
}
