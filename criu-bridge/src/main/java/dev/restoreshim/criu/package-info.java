/**
 * Everything restore-shim knows about CRIU, and nothing else: the restore options a restore may
 * set and where they may come from ({@link dev.restoreshim.criu.CriuOption},
 * {@link dev.restoreshim.criu.CriuPolicy}, {@link dev.restoreshim.criu.CriuOptions}), the per-restore
 * CRIU config file runc hands to CRIU through the {@code org.criu.config} annotation
 * ({@link dev.restoreshim.criu.CriuConfigFile}), what the installed CRIU and kernel support
 * ({@link dev.restoreshim.criu.CriuFeatures}), encrypted checkpoints
 * ({@link dev.restoreshim.criu.CriuEncryption}), the lazy-pages daemon
 * ({@link dev.restoreshim.criu.LazyPagesDaemon}), CRIU's kernel-probe cache on hosts whose
 * {@code /run} is not a tmpfs ({@link dev.restoreshim.criu.KdatCache}) and the first real error of a CRIU log
 * ({@link dev.restoreshim.criu.CriuLog}). JDK only; failures are {@link dev.restoreshim.criu.CriuException}s
 * with a {@link dev.restoreshim.criu.CriuException.Reason} the shim maps to its error kinds.
 * See {@code docs/criu.md}.
 */
package dev.restoreshim.criu;
