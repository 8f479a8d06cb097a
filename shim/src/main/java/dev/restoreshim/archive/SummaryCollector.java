package dev.restoreshim.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@link CheckpointSummary} during one pass over an archive: records every entry's name and
 * size, reads only the small metadata members ({@code config.dump}, {@code spec.dump},
 * {@code deleted.files}, the head of {@code dump.log}, {@code stats-dump}, {@code checkpoint/inventory.img}), and looks
 * at {@code rootfs-diff.tar} as far as the options allow. Not thread-safe; one per pass.
 */
final class SummaryCollector implements EntryConsumer {
    /** Largest metadata member read into memory. */
    static final int MAX_METADATA_BYTES = 4 << 20;
    private static final int LOG_HEAD_BYTES = 16 << 10;
    static final String DELTA = "rootfs-diff.tar";
    static final String CHECKPOINT_DIR = "checkpoint";

    private final String archive;
    private final EntryPolicy policy;
    private final TarIndex index;
    private final boolean countCompressedDelta;
    private final List<String> names = new ArrayList<>();
    private final List<CriuImageFile> images = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private long pagesBytes;
    private String config;
    private String spec;
    private String deletedFiles;
    private byte[] logHead;
    private byte[] inventory;
    private byte[] stats;
    private TarEntry delta;
    private Compression deltaCompression;
    private long deltaFiles = -1;
    private long deltaBytes = -1;
    private long whiteouts = -1;

    /**
     * @param index the outer archive's index when it is uncompressed (a plain delta is then indexed
     *     in place and a compressed one may be streamed), else null
     * @param countCompressedDelta whether to decompress a gzip/zstd delta to count its entries (only
     *     honoured with an index)
     */
    SummaryCollector(String archive, EntryPolicy policy, TarIndex index, boolean countCompressedDelta) {
        this.archive = archive;
        this.policy = policy;
        this.index = index;
        this.countCompressedDelta = countCompressedDelta;
    }

    @Override
    public void accept(TarEntry entry, InputStream data) throws IOException {
        String name = entry.name();
        names.add(name);
        if (!entry.isFile()) {
            return;
        }
        if (entry.isUnder(CHECKPOINT_DIR)) {
            CriuImageFile image = new CriuImageFile(name.substring(CHECKPOINT_DIR.length() + 1), entry.size());
            images.add(image);
            pagesBytes += image.isPages() ? image.size() : 0;
            switch (image.name()) {
                case "inventory.img" -> inventory = data.readNBytes(64 << 10);
                case "dump.log" -> logHead = logHead == null ? data.readNBytes(LOG_HEAD_BYTES) : logHead;
                default -> {
                }
            }
            return;
        }
        switch (name) {
            case "config.dump" -> config = small(entry, data);
            case "spec.dump" -> spec = small(entry, data);
            case "deleted.files" -> deletedFiles = small(entry, data);
            case "dump.log" -> logHead = data.readNBytes(LOG_HEAD_BYTES);
            case "stats-dump" -> stats = data.readNBytes(64 << 10);
            case DELTA -> delta(entry, data);
            default -> {
            }
        }
    }

    /** The summary of everything seen. */
    CheckpointSummary build(long archiveSize, Compression compression, long entryCount) {
        ArchiveFlavour flavour = ArchiveFlavour.detect(names, deltaCompression);
        DeltaFormat format = flavour.deltaFormat();
        ContainerInfo container = ContainerInfo.from(json("config.dump", config), json("spec.dump", spec));
        DeltaSummary deltaSummary = DeltaSummary.absent(format);
        long deletions = whiteouts;
        if (format == DeltaFormat.PLAIN_TAR) {
            deletions = deletedFiles == null ? 0 : DeletedFiles.parse(archive, deletedFiles, policy).size();
        }
        if (delta != null) {
            deltaSummary = new DeltaSummary(true, format, deltaCompression == null ? Compression.NONE : deltaCompression,
                    delta.size(), deltaFiles, deltaBytes, deltaFiles < 0 && format == DeltaFormat.OCI_LAYER ? -1 : deletions);
        } else if (deletedFiles != null) {
            deltaSummary = new DeltaSummary(false, format, Compression.NONE, 0, 0, 0, deletions);
        }
        if (images.isEmpty()) {
            warnings.add("no checkpoint/ directory: this archive holds no CRIU images");
        } else if (inventory == null) {
            warnings.add("checkpoint/inventory.img is missing: CRIU cannot restore from this archive");
        }
        return new CheckpointSummary(archive, archiveSize, compression, flavour, container,
                logHead == null ? "" : CriuMetadata.versionFromLog(logHead),
                inventory == null ? 0 : CriuMetadata.imageFormatVersion(inventory),
                stats == null ? null : CriuMetadata.dumpStats(stats),
                pagesBytes, images, deltaSummary, entryCount, warnings);
    }

    private void delta(TarEntry entry, InputStream data) throws IOException {
        delta = entry;
        PushbackInputStream in = new PushbackInputStream(data, Compression.PROBE_BYTES);
        byte[] head = in.readNBytes(Compression.PROBE_BYTES);
        in.unread(head);
        deltaCompression = Compression.detect(head, head.length);
        if (entry.size() == 0) {
            deltaCompression = Compression.NONE;
            deltaFiles = deltaBytes = whiteouts = 0;
            return;
        }
        if (deltaCompression == null) {
            warnings.add(DELTA + " is neither a tar nor gzip nor zstd (" + Compression.describe(head, head.length) + ")");
            return;
        }
        String nestedName = archive + "!" + DELTA;
        EntryPolicy deltaPolicy = policy.withWhiteoutDevices(false);
        if (deltaCompression == Compression.NONE && index != null) {
            count(index.nested(entry, nestedName, deltaPolicy).entries());
        } else if (deltaCompression == Compression.NONE) {
            List<TarEntry> seen = new ArrayList<>();
            TarStream.read(nestedName, in, deltaPolicy, e -> {
                seen.add(e);
                return false;
            }, (e, d) -> { });
            count(seen);
        } else if (index != null && countCompressedDelta) {
            List<TarEntry> seen = new ArrayList<>();
            TarStream.read(nestedName, InflationLimit.open(deltaCompression, in, archive, DELTA, policy), deltaPolicy, e -> {
                seen.add(e);
                return false;
            }, (e, d) -> { });
            count(seen);
        }
    }

    private void count(List<TarEntry> entries) {
        deltaFiles = entries.size();
        deltaBytes = entries.stream().mapToLong(TarEntry::size).sum();
        whiteouts = entries.stream().filter(e -> e.fileName().startsWith(".wh.")).count();
    }

    private String small(TarEntry entry, InputStream data) throws IOException {
        if (entry.size() > MAX_METADATA_BYTES) {
            warnings.add(entry.name() + " is " + entry.size() + " bytes, more than " + MAX_METADATA_BYTES + ": not read");
            return null;
        }
        return new String(data.readAllBytes(), StandardCharsets.UTF_8);
    }

    private Object json(String member, String text) {
        if (text == null) {
            return null;
        }
        try {
            return JsonText.parse(text);
        } catch (IllegalArgumentException e) {
            warnings.add(member + " is not JSON (" + e.getMessage() + ")");
            return null;
        }
    }

}
