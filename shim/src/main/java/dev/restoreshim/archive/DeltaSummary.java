package dev.restoreshim.archive;

/**
 * The filesystem delta ({@code rootfs-diff.tar}) as far as headers tell without extracting it.
 *
 * @param present whether the archive has a {@code rootfs-diff.tar}
 * @param format how deletions are encoded
 * @param compression the member's own compression
 * @param size the member's size in the archive, in bytes
 * @param fileCount number of entries in the delta, or -1 when not counted (a gzip delta is only
 *     decompressed on request, and never inside a compressed outer archive)
 * @param contentBytes sum of the file sizes in the delta, or -1 when not counted
 * @param deletions whiteouts ({@code .wh.} entries) or {@code deleted.files} paths, or -1 when not counted
 */
public record DeltaSummary(boolean present, DeltaFormat format, Compression compression, long size, long fileCount,
                           long contentBytes, long deletions) {
    /** No delta in the archive. */
    static DeltaSummary absent(DeltaFormat format) {
        return new DeltaSummary(false, format, Compression.NONE, 0, 0, 0, 0);
    }

    /** True when the entries were counted. */
    public boolean counted() {
        return fileCount >= 0;
    }
}
