package dev.restoreshim.restore;

/** Which {@link CriuImages} a restore from an archive uses ({@code restore.images}). */
public enum ImageChoice {
    /** EROFS in place for an uncompressed archive when the host supports it; tmpfs otherwise. */
    AUTO,
    /** Always stage into a per-restore tmpfs (capped by {@code restore.tmpfs_size_limit}). */
    TMPFS,
    /** Always EROFS in place; a compressed archive, or a host without EROFS, is refused. */
    EROFS
}
