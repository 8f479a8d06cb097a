package dev.restoreshim.overlay;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.FileOps;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Turns a checkpoint's filesystem delta into an overlayfs lower layer directory.
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
 * parent that is a symlink (extraction never follows one, see {@link LayerTree}), hard links
 * outside the layer or to something not yet extracted, device nodes other than whiteouts,
 * unknown entry types, a corrupt or truncated tar. Exceeding {@link Limits} is
 * RESOURCE_EXHAUSTED. A failed extraction leaves a partial directory that the caller discards
 * ({@link DeltaCache} extracts into a temporary directory for that reason).
 */
public final class DeltaLayer {
    private static final String WH = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final byte[] Y = "y".getBytes(StandardCharsets.US_ASCII);

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
        Extraction x = new Extraction(new LayerTree(target, files, lowerDirs));
        try {
            x.tree.initRoot();
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
            x.tree.finish();
        } catch (IOException e) {
            throw ShimException.internal("delta layer: writing " + target + ": " + e, e);
        } catch (SysException e) {
            throw ShimException.internal("delta layer: " + e.getMessage(), e);
        }
        return new Stats(x.entries, x.bytes, x.whiteouts, x.opaqueDirs, x.droppedXattrs);
    }

    private static TarArchiveEntry next(TarArchiveInputStream in, String last) {
        try {
            return in.getNextEntry();
        } catch (IOException | RuntimeException e) {
            throw ShimException.invalidArgument("delta layer: corrupt or truncated tar after entry \"" + last + "\": "
                    + e.getMessage());
        }
    }

    /** The state of one extraction. */
    private final class Extraction {
        final LayerTree tree;
        final byte[] buf = new byte[64 * 1024];
        long entries;
        long bytes;
        int whiteouts;
        int opaqueDirs;
        int droppedXattrs;

        Extraction(LayerTree tree) {
            this.tree = tree;
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
                Path dir = tree.directory(p.parent(), name);
                files.lsetxattr(dir.toString(), "trusted.overlay.opaque", Y);
                opaqueDirs++;
            } else if (p.inAufsMetadata()) {
                return; // aufs metadata (.wh..wh.plnk/..., .wh..wh.aufs): no overlay meaning
            } else if (base.startsWith(WH)) {
                if (base.length() == WH.length()) {
                    throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": whiteout without a name");
                }
                whiteout(p.parent().child(base.substring(WH.length())), name);
            } else if (e.isDirectory()) {
                directory(p, e);
            } else if (e.isSymbolicLink()) {
                symlink(p, e);
            } else if (e.isLink()) {
                hardlink(p, e);
            } else if (e.isCharacterDevice() && e.getDevMajor() == 0 && e.getDevMinor() == 0) {
                whiteout(p, name);
            } else if (e.isCharacterDevice() || e.isBlockDevice()) {
                throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": device node "
                        + e.getDevMajor() + ":" + e.getDevMinor() + " (only whiteouts, char 0:0, are allowed)");
            } else if (e.isFIFO()) {
                Path path = tree.clear(p, name, false);
                files.mknod(path.toString(), FileOps.S_IFIFO | (e.getMode() & 07777), 0);
                metadata(path, e, false);
            } else if (e.isFile()) {
                regular(p, e, in);
            } else {
                throw ShimException.invalidArgument("delta layer: entry \"" + name + "\": unsupported type '"
                        + (char) e.getLinkFlag() + "'");
            }
        }

        void whiteout(LayerPath p, String entry) throws IOException {
            Path path = tree.clear(p, entry, false);
            files.mknod(path.toString(), FileOps.S_IFCHR, FileOps.makedev(0, 0));
            whiteouts++;
        }

        private void directory(LayerPath p, TarArchiveEntry e) throws IOException {
            Path path = tree.clear(p, e.getName(), true);
            if (LayerTree.lstat(path) == null) {
                Files.createDirectory(path);
            }
            metadata(path, e, false);
        }

        private void symlink(LayerPath p, TarArchiveEntry e) throws IOException {
            if (e.getLinkName().isEmpty()) {
                throw ShimException.invalidArgument("delta layer: entry \"" + e.getName() + "\": symlink without target");
            }
            Path path = tree.clear(p, e.getName(), false);
            Files.createSymbolicLink(path, path.getFileSystem().getPath(e.getLinkName()));
            metadata(path, e, true);
        }

        private void hardlink(LayerPath p, TarArchiveEntry e) throws IOException {
            LayerPath target = LayerPath.ofLinkTarget(e.getName(), e.getLinkName());
            if (target.equals(p) || target.isRoot()) {
                throw ShimException.invalidArgument("delta layer: entry \"" + e.getName() + "\": hard link to itself");
            }
            Path t = tree.directory(target.parent(), e.getName()).resolve(target.name());
            BasicFileAttributes a = LayerTree.lstat(t);
            if (a == null || a.isDirectory() || a.isOther()) {
                throw ShimException.invalidArgument("delta layer: entry \"" + e.getName() + "\": hard link target \""
                        + e.getLinkName() + "\" is not a file extracted earlier from this layer");
            }
            Path path = tree.clear(p, e.getName(), false);
            if (LayerTree.lstat(t) == null) {
                throw ShimException.invalidArgument("delta layer: entry \"" + e.getName() + "\": hard link target \""
                        + e.getLinkName() + "\" is inside the entry it replaces");
            }
            Files.createLink(path, t);
        }

        private void regular(LayerPath p, TarArchiveEntry e, InputStream in) throws IOException {
            if (bytes + e.getSize() > limits.maxBytes()) {
                throw tooLarge(e.getName());
            }
            Path path = tree.clear(p, e.getName(), false);
            try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS)) {
                while (true) {
                    int n = read(in, buf, e.getName());
                    if (n < 0) {
                        break;
                    }
                    bytes += n;
                    if (bytes > limits.maxBytes()) {
                        throw tooLarge(e.getName());
                    }
                    out.write(buf, 0, n);
                }
            }
            metadata(path, e, false);
        }

        private int read(InputStream in, byte[] buf, String entry) {
            try {
                return in.read(buf);
            } catch (IOException | RuntimeException ex) {
                throw ShimException.invalidArgument("delta layer: entry \"" + entry + "\": corrupt or truncated data: "
                        + ex.getMessage());
            }
        }

        private ShimException tooLarge(String entry) {
            return new ShimException(ErrorKind.RESOURCE_EXHAUSTED, "delta layer: entry \"" + entry
                    + "\": contents exceed " + limits.maxBytes() + " bytes");
        }

        /** Owner, then mode (chown clears setuid), xattrs, times; directory times come last. */
        private void metadata(Path path, TarArchiveEntry e, boolean symlink) {
            String s = path.toString();
            files.lchown(s, (int) e.getLongUserId(), (int) e.getLongGroupId());
            if (!symlink) {
                files.chmod(s, e.getMode() & 07777);
            }
            PaxXattrs x = PaxXattrs.of(e);
            droppedXattrs += x.dropped();
            for (Map.Entry<String, byte[]> a : x.values().entrySet()) {
                if (symlink && a.getKey().startsWith("user.")) {
                    droppedXattrs++; // the kernel refuses user.* on symlinks
                    continue;
                }
                files.lsetxattr(s, a.getKey(), a.getValue());
            }
            long mtime = e.getLastModifiedTime() == null ? 0 : e.getLastModifiedTime().to(TimeUnit.NANOSECONDS);
            if (e.isDirectory()) {
                tree.deferTimes(path, mtime);
            } else {
                files.utimes(s, mtime, mtime);
            }
        }
    }
}
