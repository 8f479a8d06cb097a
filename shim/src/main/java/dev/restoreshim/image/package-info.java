/**
 * Restore images (docs/restore-image.md): builds an OCI image from a checkpoint archive, the base
 * image's layers unchanged, then a delta layer (the container's rootfs changes with OCI whiteouts)
 * and a checkpoint layer (the CRIU images and {@code restore.json} under {@code .restore-shim/}),
 * and writes it to a registry ({@link dev.restoreshim.image.RegistryTarget}) or an OCI image layout
 * directory ({@link dev.restoreshim.image.OciLayoutTarget}). Layers are produced in one pass: their
 * digests are computed while the bytes go to the target.
 *
 * <p>Depends on {@code archive} and {@code errors} only.
 */
package dev.restoreshim.image;
