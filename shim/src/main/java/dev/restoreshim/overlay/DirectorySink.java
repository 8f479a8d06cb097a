package dev.restoreshim.overlay;

import dev.restoreshim.sys.FileOps;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * A layer written as a directory tree ({@link LayerTree}) that overlayfs uses as it is: whiteouts
 * are char devices 0:0, opaque directories carry {@code trusted.overlay.opaque=y}. Owner comes
 * before mode (chown clears setuid), then extended attributes; directory times are applied last.
 */
final class DirectorySink implements LayerSink {
    private static final byte[] Y = "y".getBytes(StandardCharsets.US_ASCII);

    private final LayerTree tree;
    private final FileOps files;

    DirectorySink(Path target, FileOps files, LowerDirs lowerDirs) {
        this.tree = new LayerTree(target, files, lowerDirs);
        this.files = files;
    }

    @Override
    public void root() {
        tree.initRoot();
    }

    @Override
    public void directory(LayerPath p, String entry, Meta meta) throws IOException {
        Path path = tree.clear(p, entry, true);
        if (LayerTree.lstat(path) == null) {
            Files.createDirectory(path);
        }
        metadata(path, meta, false, true);
    }

    @Override
    public void file(LayerPath p, String entry, Meta meta, long size, Body body) throws IOException {
        Path path = tree.clear(p, entry, false);
        try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            body.copyTo(out::write);
        }
        metadata(path, meta, false, false);
    }

    @Override
    public void symlink(LayerPath p, String entry, String target, Meta meta) throws IOException {
        Path path = tree.clear(p, entry, false);
        Files.createSymbolicLink(path, path.getFileSystem().getPath(target));
        metadata(path, meta, true, false);
    }

    @Override
    public void hardlink(LayerPath p, String entry, LayerPath target, String targetName) throws IOException {
        Path t = tree.directory(target.parent(), entry).resolve(target.name());
        BasicFileAttributes a = LayerTree.lstat(t);
        if (a == null || a.isDirectory() || a.isOther()) {
            throw DeltaLayer.notExtracted(entry, targetName);
        }
        Path path = tree.clear(p, entry, false);
        if (LayerTree.lstat(t) == null) {
            throw DeltaLayer.insideReplaced(entry, targetName);
        }
        Files.createLink(path, t);
    }

    @Override
    public void fifo(LayerPath p, String entry, Meta meta) throws IOException {
        Path path = tree.clear(p, entry, false);
        files.mknod(path.toString(), FileOps.S_IFIFO | meta.mode(), 0);
        metadata(path, meta, false, false);
    }

    @Override
    public void whiteout(LayerPath p, String entry) throws IOException {
        Path path = tree.clear(p, entry, false);
        files.mknod(path.toString(), FileOps.S_IFCHR, FileOps.makedev(0, 0));
    }

    @Override
    public void opaque(LayerPath dir, String entry) throws IOException {
        files.lsetxattr(tree.directory(dir, entry).toString(), "trusted.overlay.opaque", Y);
    }

    @Override
    public void finish() {
        tree.finish();
    }

    private void metadata(Path path, Meta meta, boolean symlink, boolean directory) {
        String s = path.toString();
        files.lchown(s, (int) meta.uid(), (int) meta.gid());
        if (!symlink) {
            files.chmod(s, meta.mode());
        }
        for (Map.Entry<String, byte[]> a : meta.xattrs().entrySet()) {
            files.lsetxattr(s, a.getKey(), a.getValue());
        }
        if (directory) {
            tree.deferTimes(path, meta.mtimeNanos());
        } else {
            files.utimes(s, meta.mtimeNanos(), meta.mtimeNanos());
        }
    }
}
