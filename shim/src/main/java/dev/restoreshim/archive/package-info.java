/**
 * Reading checkpoint archives without unpacking them.
 *
 * <p>{@link dev.restoreshim.archive.CheckpointArchive} opens an archive, detects its outer
 * {@link dev.restoreshim.archive.Compression} by magic bytes and its
 * {@link dev.restoreshim.archive.ArchiveFlavour} (containerd CRI, CRI-O, Podman). An uncompressed
 * archive is indexed by one scan of its tar headers ({@link dev.restoreshim.archive.TarIndex}: name
 * to data offset and size, no data read) and each member is then read by offset through a bounded
 * stream. A gzip or zstd archive is read once, front to back, by a
 * {@link dev.restoreshim.archive.TarStream} that hands each wanted member to a callback.
 *
 * <p>Every entry, in the outer archive and in a nested {@code rootfs-diff.tar}, passes the one
 * {@link dev.restoreshim.archive.EntryPolicy}: no {@code ..}, no absolute paths, no links out of the
 * root, no device nodes, sizes within the archive and within the caps, bounded decompression.
 * Failures are {@link dev.restoreshim.errors.ShimException}s naming the archive, the entry and the
 * reason. {@link dev.restoreshim.archive.CheckpointSummary} is what {@code restore-shim inspect}
 * shows, built from headers and the small metadata members only.
 *
 * <p>Depends only on {@code errors}, the JDK, Commons Compress (gzip, zstd streams) and zstd-jni.
 */
package dev.restoreshim.archive;
