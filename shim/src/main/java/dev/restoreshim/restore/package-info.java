/**
 * Restoring a container from a checkpoint at Create: detection ({@link
 * dev.restoreshim.restore.RestoreRequest}), the plan that indexes the archive, mounts the rootfs
 * with the delta layer and gives CRIU its images ({@link dev.restoreshim.restore.CriuImages}: EROFS
 * in place or a tmpfs; {@link dev.restoreshim.restore.Restorer}), and
 * the resources a restored container holds until Delete ({@link dev.restoreshim.restore.Restoration}).
 * See {@code docs/restore.md}.
 */
package dev.restoreshim.restore;
