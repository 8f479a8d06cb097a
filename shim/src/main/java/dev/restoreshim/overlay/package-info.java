/**
 * The restored container's rootfs: the checkpoint's filesystem delta as an overlay lower layer.
 *
 * <p>{@link dev.restoreshim.overlay.DeltaLayer} extracts a delta tar (plus CRI-O/Podman
 * {@code deleted.files}, a path list the caller parsed: {@code archive.CheckpointArchive#deletedFiles}) into a layer
 * directory with overlay whiteouts, refusing entries that would leave it;
 * {@link dev.restoreshim.overlay.DeltaCache} keeps one extracted layer per checkpoint digest,
 * shared by leases, size-capped with LRU eviction; {@link dev.restoreshim.overlay.OverlayStack}
 * puts that layer on top of the request's image layers and
 * {@link dev.restoreshim.overlay.OverlayMount} mounts it, through the new mount API when the
 * layers do not fit in mount(2)'s one page of options.
 */
package dev.restoreshim.overlay;
