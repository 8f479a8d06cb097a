package dev.restoreshim.archive;

/** How a checkpoint's {@code rootfs-diff.tar} encodes the container's filesystem changes. */
public enum DeltaFormat {
    /** An OCI image layer (containerd: gzip): deletions are {@code .wh.NAME} files, {@code .wh..wh..opq} marks opaque dirs. */
    OCI_LAYER("OCI layer with .wh. whiteouts"),
    /** A plain tar of added and changed files (CRI-O, Podman); deletions are listed in JSON {@code deleted.files}. */
    PLAIN_TAR("plain tar + deleted.files");

    private final String description;

    DeltaFormat(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /**
     * Whether character devices 0:0 (overlay whiteouts) may appear in this delta. Neither format uses
     * them: OCI layers use {@code .wh.} names and CRI-O/Podman use {@code deleted.files}.
     */
    public boolean allowsWhiteoutDevices() {
        return switch (this) {
            case OCI_LAYER, PLAIN_TAR -> false;
        };
    }
}
