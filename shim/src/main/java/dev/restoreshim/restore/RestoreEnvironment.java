package dev.restoreshim.restore;

import dev.restoreshim.archive.EntryPolicy;
import dev.restoreshim.overlay.DeltaCache;
import dev.restoreshim.overlay.DeltaLayer;
import dev.restoreshim.sys.FileOps;
import dev.restoreshim.sys.FsMounts;
import dev.restoreshim.sys.Mounts;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What restores need from the node: system calls, the delta cache and where to put per-restore
 * state.
 *
 * @param mounts mount(2)/umount2(2) (overlay with a short option string, staging tmpfs)
 * @param fsMounts the new mount API (overlay with many layers)
 * @param files metadata calls for delta extraction (whiteouts, owners, xattrs)
 * @param cache the node's delta cache
 * @param stagingRoot where per-restore tmpfs and EROFS mounts go ({@code <daemon dir>/restore})
 * @param scratchRoot where upper and work dirs go for a rootfs given as a read-only bind mount
 *     (on disk, beside the cache)
 * @param tmpfsCapBytes size of each staging tmpfs ({@code restore.tmpfs_size_limit})
 * @param policy checks on archive entries
 * @param deltaLimits caps on delta extraction
 * @param images where CRIU reads the images of an archive restore ({@code restore.images})
 * @param deltas how the delta is kept in the cache ({@code restore.delta})
 */
public record RestoreEnvironment(Mounts mounts, FsMounts fsMounts, FileOps files, DeltaCache cache, Path stagingRoot,
        Path scratchRoot, long tmpfsCapBytes, EntryPolicy policy, DeltaLayer.Limits deltaLimits, ImagePolicy images,
        DeltaStore deltas) {
    public RestoreEnvironment {
        Objects.requireNonNull(mounts, "mounts");
        Objects.requireNonNull(fsMounts, "fsMounts");
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(stagingRoot, "stagingRoot");
        Objects.requireNonNull(scratchRoot, "scratchRoot");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(deltaLimits, "deltaLimits");
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(deltas, "deltas");
        if (tmpfsCapBytes <= 0) {
            throw new IllegalArgumentException("tmpfsCapBytes must be positive: " + tmpfsCapBytes);
        }
    }

    /** An environment whose archive restores extract their deltas into directories. */
    public RestoreEnvironment(Mounts mounts, FsMounts fsMounts, FileOps files, DeltaCache cache, Path stagingRoot,
                              Path scratchRoot, long tmpfsCapBytes, EntryPolicy policy, DeltaLayer.Limits deltaLimits,
                              ImagePolicy images) {
        this(mounts, fsMounts, files, cache, stagingRoot, scratchRoot, tmpfsCapBytes, policy, deltaLimits, images,
                DeltaStore.directories());
    }

    /** An environment whose archive restores always stage their images in tmpfs and extract their deltas. */
    public RestoreEnvironment(Mounts mounts, FsMounts fsMounts, FileOps files, DeltaCache cache, Path stagingRoot,
                              Path scratchRoot, long tmpfsCapBytes, EntryPolicy policy, DeltaLayer.Limits deltaLimits) {
        this(mounts, fsMounts, files, cache, stagingRoot, scratchRoot, tmpfsCapBytes, policy, deltaLimits,
                ImagePolicy.tmpfsOnly());
    }
}
