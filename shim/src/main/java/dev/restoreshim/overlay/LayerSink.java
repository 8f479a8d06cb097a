package dev.restoreshim.overlay;

import java.io.IOException;
import java.util.Map;

/**
 * Where {@link DeltaLayer} puts the layer it reads, after it has checked each entry's name, type
 * and size: a directory tree ({@link DirectorySink}) or a tar stream for {@code mkfs.erofs}
 * ({@link TarSink}). A sink enforces the rules that depend on what it already holds: parents are
 * real directories (a symlink or a file there is refused, a missing one is created with the lower
 * layers' attributes), a new entry replaces whatever was at its path (a directory entry over a
 * directory only updates its attributes), a hard link names a file or symlink already there.
 * Errors are {@code ShimException}s naming the entry. One extraction, one thread.
 */
sealed interface LayerSink permits DirectorySink, TarSink {

    /**
     * An entry's attributes, as the tar describes them.
     *
     * @param mode permission bits (twelve bits)
     * @param uid owner
     * @param gid group
     * @param mtimeNanos modification time
     * @param xattrs extended attributes to set (already filtered by {@link PaxXattrs})
     */
    record Meta(int mode, long uid, long gid, long mtimeNanos, Map<String, byte[]> xattrs) {
    }

    /** Receives a regular file's bytes. */
    @FunctionalInterface
    interface Body {
        void copyTo(Data out) throws IOException;
    }

    /** Where a regular file's bytes go. */
    @FunctionalInterface
    interface Data {
        void write(byte[] buf, int off, int len) throws IOException;
    }

    /** Gives the root the lower layers' root attributes. Called first. */
    void root() throws IOException;

    /** A directory at {@code p} (the root when {@code p} is empty). */
    void directory(LayerPath p, String entry, Meta meta) throws IOException;

    /** A regular file of {@code size} bytes, written by {@code body}. */
    void file(LayerPath p, String entry, Meta meta, long size, Body body) throws IOException;

    /** A symlink to {@code target}. */
    void symlink(LayerPath p, String entry, String target, Meta meta) throws IOException;

    /** A hard link to {@code target}, an entry of this layer written earlier. */
    void hardlink(LayerPath p, String entry, LayerPath target, String targetName) throws IOException;

    /** A fifo. */
    void fifo(LayerPath p, String entry, Meta meta) throws IOException;

    /** An overlay whiteout (char device 0:0) at {@code p}. */
    void whiteout(LayerPath p, String entry) throws IOException;

    /** Marks directory {@code dir} opaque ({@code trusted.overlay.opaque=y}). */
    void opaque(LayerPath dir, String entry) throws IOException;

    /** Completes the layer (directory times, the end of the tar). */
    void finish() throws IOException;
}
