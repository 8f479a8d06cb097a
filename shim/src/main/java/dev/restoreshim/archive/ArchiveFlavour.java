package dev.restoreshim.archive;

import java.util.Set;

/**
 * Which engine wrote a checkpoint archive, and so how its filesystem delta is encoded.
 *
 * <ul>
 *   <li>{@link #CONTAINERD}: containerd CRI {@code CheckpointContainer}. {@code rootfs-diff.tar} is
 *   the container's rw layer blob, a gzip OCI layer with {@code .wh.} whiteouts; no
 *   {@code deleted.files}; a {@code status} member only containerd writes.</li>
 *   <li>{@link #CRI_O}: CRI-O. Plain {@code rootfs-diff.tar} plus a JSON {@code deleted.files};
 *   {@code bind.mounts}; the log under {@code io.kubernetes.cri-o.LogPath}.</li>
 *   <li>{@link #PODMAN}: {@code podman container checkpoint --export} (zstd by default). Same delta as
 *   CRI-O; {@code network.status}, {@code ctr.log}, {@code artifacts/}, {@code volumes/}.</li>
 *   <li>{@link #UNKNOWN}: none of those markers; a plain delta is then read as CRI-O's.</li>
 * </ul>
 */
public enum ArchiveFlavour {
    CONTAINERD("containerd CRI"),
    CRI_O("CRI-O"),
    PODMAN("Podman"),
    UNKNOWN("unknown engine");

    private static final Set<String> PODMAN_MARKERS = Set.of("network.status", "ctr.log", "devshm-checkpoint.tar");

    private final String displayName;

    ArchiveFlavour(String displayName) {
        this.displayName = displayName;
    }

    public String displayName() {
        return displayName;
    }

    /** How this flavour's {@code rootfs-diff.tar} records deletions. */
    public DeltaFormat deltaFormat() {
        return this == CONTAINERD ? DeltaFormat.OCI_LAYER : DeltaFormat.PLAIN_TAR;
    }

    /**
     * Tells the flavour from the top-level entry names and the compression of {@code rootfs-diff.tar}
     * (null when there is none).
     */
    static ArchiveFlavour detect(Iterable<String> names, Compression deltaCompression) {
        if (deltaCompression == Compression.GZIP || deltaCompression == Compression.ZSTD) {
            return CONTAINERD;
        }
        boolean crio = false;
        boolean podman = false;
        for (String n : names) {
            if (n.equals("status")) {
                return CONTAINERD;
            }
            crio |= n.equals("bind.mounts") || n.equals("io.kubernetes.cri-o.LogPath");
            podman |= PODMAN_MARKERS.contains(n) || n.startsWith("artifacts/") || n.equals("artifacts")
                    || n.startsWith("volumes/") || n.startsWith("pre-checkpoint/");
        }
        return crio ? CRI_O : podman ? PODMAN : UNKNOWN;
    }
}
