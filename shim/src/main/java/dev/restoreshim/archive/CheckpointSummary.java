package dev.restoreshim.archive;

import java.util.List;
import java.util.Objects;

/**
 * What a checkpoint archive holds, from tar headers and the small metadata members only: what
 * {@code restore-shim inspect} prints.
 *
 * @param archive the archive path as given
 * @param archiveSize its size on disk, in bytes
 * @param compression the outer compression
 * @param flavour the engine that wrote it
 * @param container container, image, runtime, times, command, annotations
 * @param criuVersion the CRIU version from the first lines of {@code dump.log}, or ""
 * @param imageFormatVersion {@code img_version} from {@code checkpoint/inventory.img}, or 0 when
 *     unknown
 * @param dumpStats CRIU's dump statistics from {@code stats-dump}, or null when absent or unreadable
 * @param pagesBytes sum of the sizes of {@code checkpoint/pages-*.img}: the dumped memory
 * @param images the CRIU image files with their sizes, in archive order
 * @param delta the filesystem delta
 * @param entryCount entries in the outer archive
 * @param warnings what could not be read (a metadata member that is not JSON, too large, ...)
 */
public record CheckpointSummary(String archive, long archiveSize, Compression compression, ArchiveFlavour flavour,
                                ContainerInfo container, String criuVersion, int imageFormatVersion, DumpStats dumpStats, long pagesBytes,
                                List<CriuImageFile> images, DeltaSummary delta, long entryCount, List<String> warnings) {
    public CheckpointSummary {
        Objects.requireNonNull(archive);
        Objects.requireNonNull(compression);
        Objects.requireNonNull(flavour);
        Objects.requireNonNull(container);
        Objects.requireNonNull(criuVersion);
        images = List.copyOf(images);
        Objects.requireNonNull(delta);
        warnings = List.copyOf(warnings);
    }

    /** Sum of all CRIU image sizes. */
    public long imagesBytes() {
        return images.stream().mapToLong(CriuImageFile::size).sum();
    }

    /** True when {@code checkpoint/inventory.img}, the first image CRIU reads, is present. */
    public boolean hasInventory() {
        return images.stream().anyMatch(i -> i.name().equals("inventory.img"));
    }
}
