package dev.restoreshim.overlay;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.FileOps;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Turns a checkpoint's filesystem delta into an overlayfs lower layer: a directory
 * ({@link #extract}, through {@link DirectorySink}) or a tar stream that {@code mkfs.erofs}
 * builds into an image of the same layer ({@link #writeTar}, through {@link TarSink}).
 *
 * <p>Input: the bytes of {@code rootfs-diff.tar} (already decompressed) and, for CRI-O and Podman
 * archives, the paths of {@code deleted.files}. Regular files, directories, symlinks, hard links
 * (to entries of the same layer), fifos, modes (with setuid/setgid/sticky), owners, modification
 * times and PAX extended attributes ({@link PaxXattrs}) are reproduced. Whiteouts become what
 * overlayfs reads: an OCI {@code .wh.NAME} becomes a character device 0:0 named {@code NAME}, a
 * {@code .wh..wh..opq} sets {@code trusted.overlay.opaque=y} on its directory, a char device 0:0
 * in the tar is kept as the whiteout it is, and each {@code deleted.files} path becomes a
 * whiteout (applied after the tar, replacing whatever the tar put there, as Podman's restore
 * removes those paths after unpacking). Other {@code .wh..wh.*} entries (aufs metadata) are
 * skipped.
 *
 * <p>Refused with INVALID_ARGUMENT naming the entry: {@code ..} in a name, absolute names, a
 * parent that is a symlink (extraction never follows one, see {@link LayerSink}), hard links
 * outside the layer or to something not yet extracted, device nodes other than whiteouts,
 * unknown entry types, a corrupt or truncated tar. Exceeding {@link Limits} is
 * RESOURCE_EXHAUSTED. A failed extraction leaves a partial directory or tar that the caller
 * discards ({@link DeltaCache} writes each layer under a temporary name for that reason).
 */
public final class DeltaLayer {
    private static final String WH = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    /**
     * Paths an image build models at most: about 11 MB of heap, well inside the daemon's 128 MiB
     * ({@code -Xmx128m} by default). Deltas with more files are extracted into a directory.
     */
    public static final long IMAGE_MAX_PATHS = 100_000;

    /**
     * Bounds on one extraction, against bombs.
     *
     * @param maxBytes total size of regular file contents
     * @param maxEntries number of tar entries plus deleted paths
     */
    public record Limits(long maxBytes, long maxEntries) {
        /** 64 GiB, ten million entries. */
        public static final Limits DEFAULT = new Limits(64L << 30, 10_000_000);

        public Limits {
            if (maxBytes < 0 || maxEntries < 0) {
                throw new IllegalArgumentException("limits must not be negative: " + maxBytes + ", " + maxEntries);
            }
        }
    }

    /**
     * What one extraction wrote.
     *
     * @param entries tar entries read
     * @param bytes regular file bytes written
     * @param whiteouts whiteout devices created (from {@code .wh.}, char 0:0 entries and deleted.files)
     * @param opaqueDirs directories marked opaque
     * @param droppedXattrs extended attributes not applied (see {@link PaxXattrs})
     */
    public record Stats(long entries, long bytes, int whiteouts, int opaqueDirs, int droppedXattrs) {
    }

    private final FileOps files;
    private final Limits limits;

    /** An extractor writing metadata through {@code files}, bounded by {@code limits}. */
    public DeltaLayer(FileOps files, Limits limits) {
        this.files = Objects.requireNonNull(files, "files");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * Extracts {@code tar} and then {@code deletedFiles} into {@code target}, an existing empty
     * directory. The stream is read to the end of the tar but not closed.
     *
     * @param lowerDirs the image layers, for the attributes of directories the delta implies but
     *     does not describe; {@link LowerDirs#NONE} when unknown
     * @throws ShimException INVALID_ARGUMENT for a refused or corrupt entry, RESOURCE_EXHAUSTED
     *     over a limit, INTERNAL when writing fails
     */
    public Stats extract(InputStream tar, List<String> deletedFiles, Path target, LowerDirs lowerDirs) {
        return write(tar, deletedFiles, new DirectorySink(target, files, lowerDirs), target.toString());
    }

    /**
     * Writes the same layer as {@link #extract} would, as a normalized tar stream into {@code out}
     * for {@code mkfs.erofs --tar=f --aufs} ({@link TarSink}); the same entries are refused. The
     * input is read to the end of the tar, {@code out} is flushed but not closed.
     *
     * @throws ShimException as {@link #extract}; INTERNAL when {@code out} fails
     */
    public Stats writeTar(InputStream tar, List<String> deletedFiles, OutputStream out, LowerDirs lowerDirs) {
        return writeTar(tar, deletedFiles, out, lowerDirs, IMAGE_MAX_PATHS);
    }

    /**
     * As {@link #writeTar(InputStream, List, OutputStream, LowerDirs)}, with at most {@code maxPaths}
     * paths in the layer.
     *
     * @throws TooLargeForImage when the layer has more paths
     */
    public Stats writeTar(InputStream tar, List<String> deletedFiles, OutputStream out, LowerDirs lowerDirs,
                          long maxPaths) {
        return write(tar, deletedFiles, new TarSink(out, lowerDirs, maxPaths), "the layer tar");
    }

    /**
     * A delta with more paths than an image build may model in memory ({@link TarSink}); it can
     * still be extracted into a directory. RESOURCE_EXHAUSTED, but meant to be caught
     * ({@link #isTooLargeForImage}).
     */
    public static final class TooLargeForImage extends ShimException {
        TooLargeForImage(long maxPaths) {
            super(ErrorKind.RESOURCE_EXHAUSTED, "delta layer: more than " + maxPaths
                    + " paths, too many to build an EROFS image in the daemon's memory");
        }
    }

    /** Whether {@code e}, or what it wraps, is a {@link TooLargeForImage}. */
    public static boolean isTooLargeForImage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TooLargeForImage) {
                return true;
            }
        }
        return false;
    }

    private Stats write(InputStream tar, List<String> deletedFiles, LayerSink sink, String target) {
        Extraction x = new Extraction(sink);
        try {
            sink.root();
            TarArchiveInputStream in = new TarArchiveInputStream(tar);
            String last = "(start of archive)";
            TarArchiveEntry e;
            while ((e = next(in, last)) != null) {
                x.count(e.getName());
                x.apply(e, in);
                last = e.getName();
            }
            for (String d : deletedFiles) {
                x.count("deleted.files " + d);
                LayerPath p = LayerPath.ofContainerPath(d);
                if (p.isRoot()) {
                    throw ShimException.invalidArgument("delta layer: deleted.files path \"" + d + "\": the root");
                }
                x.whiteout(p, "deleted.files " + d);
            }
            sink.finish();
        } catch (IOException e) {
            throw ShimException.internal("delta layer: writing " + target + ": " + e, e);
        } catch (SysException e) {
            throw ShimException.internal("delta layer: " + e.getMessage(), e);
        }
        return new Stats(x.entries, x.bytes, x.whiteouts, x.opaqueDirs, x.droppedXattrs);
    }

    static ShimException parentIsSymlink(String entry, LayerPath parent) {
        return ShimException.invalidArgument("delta layer: entry \"" + entry + "\": parent " + parent
                + " is a symlink (extraction never follows symlinks)");
    }

    static ShimException parentNotDirectory(String entry, LayerPath parent) {
        return ShimException.invalidArgument("delta layer: entry \"" + entry + "\": parent " + parent
                + " is not a directory");
    }

    static ShimException notExtracted(String entry, String target) {
        return ShimException.invalidArgument("delta layer: entry \"" + entry + "\": hard link target \"" + target
                + "\" is not a file extracted earlier from this layer");
    }

    static ShimException insideReplaced(String entry, String target) {
        return ShimException.invalidArgument("delta layer: entry \"" + entry + "\": hard link target \"" + target
                + "\" is inside the entry it replaces");
    }

    private static TarArchiveEntry next(TarArchiveInputStream in, String last) {
        try {
            return in.getNextEntry();
        } catch (IOException | RuntimeException e) {
            throw ShimException.invalidArgument("delta layer: corrupt or truncated tar after entry \"" + last + "\": "
                    + e.getMessage());
        }
    }

    /** The state of one extraction: checks each entry and hands it to the sink. */
    private final class Extraction {
        final LayerSink sink;
        final byte[] buf = new byte[64 * 1024];
        long entries;
        long bytes;
        int whiteouts;
        int opaqueDirs;
        int droppedXattrs;

        Extraction(LayerSink sink) {
            this.sink = sink;
        }

        void count(String what) {
            if (++entries > limits.maxEntries()) {
                throw new ShimException(ErrorKind.RESOURCE_EXHAUSTED, "delta layer: at \"" + what + "\": more than "
                        + limits.maxEntries() + " entries");
            }
        }

        void apply(TarArchiveEntry e, InputStream in) throws IOException {
            String name = e.getName();
            LayerPath p = LayerPath.ofEntry(name);
            String base = p.name();
            if (base.equals(OPAQUE)) {
                sink.opaque(p.parent(), name);
                opaqueDirs++;
            } else if (p.inAufsMetadata()) {
                return; // aufs metadata (.wh..wh.plnk/..., .wh..wh.aufs): no overlay meaning
            } else if (base.startsWith(WH)) {
                if (base.length() == WH.length()) {
                    throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": whiteout without a name");
                }
                whiteout(p.parent().child(base.substring(WH.length())), name);
            } else if (e.isDirectory()) {
                sink.directory(p, name, meta(e, false));
            } else if (e.isSymbolicLink()) {
                if (e.getLinkName().isEmpty()) {
                    throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": symlink without target");
                }
                sink.symlink(p, name, e.getLinkName(), meta(e, true));
            } else if (e.isLink()) {
                LayerPath target = LayerPath.ofLinkTarget(name, e.getLinkName());
                if (target.equals(p) || target.isRoot()) {
                    throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": hard link to itself");
                }
                sink.hardlink(p, name, target, e.getLinkName());
            } else if (e.isCharacterDevice() && e.getDevMajor() == 0 && e.getDevMinor() == 0) {
                whiteout(p, name);
            } else if (e.isCharacterDevice() || e.isBlockDevice()) {
                throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": device node "
                        + e.getDevMajor() + ":" + e.getDevMinor() + " (only whiteouts, char 0:0, are allowed)");
            } else if (e.isFIFO()) {
                sink.fifo(p, name, meta(e, false));
            } else if (e.isFile()) {
                regular(p, e, in);
            } else {
                throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": unsupported type '"
                        + (char) e.getLinkFlag() + "'");
            }
        }

        void whiteout(LayerPath p, String entry) throws IOException {
            if (p.isRoot()) {
                throw ShimException.invalidArgument("delta layer: entry \"" + entry + "\": whiteout of the root");
            }
            sink.whiteout(p, entry);
            whiteouts++;
        }

        private void regular(LayerPath p, TarArchiveEntry e, InputStream in) throws IOException {
            String name = e.getName();
            if (bytes + e.getSize() > limits.maxBytes()) {
                throw tooLarge(name);
            }
            sink.file(p, name, meta(e, false), e.getSize(), out -> {
                long left = e.getSize();
                while (left > 0) {
                    int n = read(in, buf, (int) Math.min(buf.length, left), name);
                    if (n < 0) {
                        throw ShimException.invalidArgument("delta layer: entry \"" + name
                                + "\": corrupt or truncated data: " + left + " bytes missing");
                    }
                    bytes += n;
                    left -= n;
                    out.write(buf, 0, n);
                }
            });
        }

        private int read(InputStream in, byte[] buf, int len, String entry) {
            try {
                return in.read(buf, 0, len);
            } catch (IOException | RuntimeException ex) {
                throw ShimException.invalidArgument("delta layer: entry \"" + entry + "\": corrupt or truncated data: "
                        + ex.getMessage());
            }
        }

        private ShimException tooLarge(String entry) {
            return new ShimException(ErrorKind.RESOURCE_EXHAUSTED, "delta layer: entry \"" + entry
                    + "\": contents exceed " + limits.maxBytes() + " bytes");
        }

        /** The entry's attributes; extended attributes filtered ({@link PaxXattrs}, no user.* on symlinks). */
        private LayerSink.Meta meta(TarArchiveEntry e, boolean symlink) {
            PaxXattrs x = PaxXattrs.of(e);
            droppedXattrs += x.dropped();
            Map<String, byte[]> kept = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> a : x.values().entrySet()) {
                if (symlink && a.getKey().startsWith("user.")) {
                    droppedXattrs++; // the kernel refuses user.* on symlinks
                } else {
                    kept.put(a.getKey(), a.getValue());
                }
            }
            long mtime = e.getLastModifiedTime() == null ? 0 : e.getLastModifiedTime().to(TimeUnit.NANOSECONDS);
            return new LayerSink.Meta(e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(), mtime, kept);
        }
    }
}
