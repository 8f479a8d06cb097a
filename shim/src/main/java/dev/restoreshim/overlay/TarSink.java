package dev.restoreshim.overlay;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer written as a normalized tar stream for {@code mkfs.erofs --tar=f --aufs}, which builds
 * the same layer as {@link DirectorySink} would write, as one image file. Normalized means: every
 * directory is described by an entry of its own (a parent the delta implies gets the lower layers'
 * attributes, or {@link DirAttrs#DEFAULT}; {@code mkfs.erofs} would make it {@code 0777}),
 * whiteouts are char devices 0:0, an opaque directory is a {@code .wh..wh..opq} entry in it, and
 * names are the checked {@link LayerPath}s. A later entry for the same path replaces the earlier
 * one, as {@code mkfs.erofs} applies them (a directory's subtree goes with it).
 *
 * <p>The rules a directory tree checks with lstat are checked against an in-memory model of
 * what has been written: the kind of each path, nothing more. The model is bounded (the daemon's
 * heap is small): a delta with more paths throws {@link DeltaLayer.TooLargeForImage}, and the
 * caller keeps that delta as a directory instead.
 */
final class TarSink implements LayerSink {
    private static final String OPAQUE = ".wh..wh..opq";

    private enum Kind {
        DIRECTORY,
        FILE,
        SYMLINK,
        OTHER
    }

    private static final class Node {
        final Kind kind;
        final Map<String, Node> children;

        Node(Kind kind) {
            this.kind = kind;
            this.children = kind == Kind.DIRECTORY ? new HashMap<>() : Map.of();
        }
    }

    private final TarOut out;
    private final LowerDirs lowerDirs;
    private final long maxPaths;
    private final Node root = new Node(Kind.DIRECTORY);
    private long paths;

    /**
     * @param maxPaths how many paths the model may hold (about 110 bytes of heap each); one more
     *     throws {@link DeltaLayer.TooLargeForImage}
     */
    TarSink(OutputStream out, LowerDirs lowerDirs, long maxPaths) {
        this.out = new TarOut(out);
        this.lowerDirs = lowerDirs;
        this.maxPaths = maxPaths;
    }

    @Override
    public void root() throws IOException {
        implicitDirectory(new LayerPath(List.of()));
    }

    @Override
    public void directory(LayerPath p, String entry, Meta meta) throws IOException {
        if (!p.isRoot()) {
            Node parent = clear(p, entry, true);
            if (!parent.children.containsKey(p.name())) {
                parent.children.put(p.name(), new Node(Kind.DIRECTORY));
                counted();
            }
        }
        out.begin(header(p, TarOut.DIRECTORY, meta, 0, ""));
    }

    @Override
    public void file(LayerPath p, String entry, Meta meta, long size, Body body) throws IOException {
        put(p, entry, Kind.FILE);
        out.begin(header(p, TarOut.FILE, meta, size, ""));
        body.copyTo(out::data);
    }

    @Override
    public void symlink(LayerPath p, String entry, String target, Meta meta) throws IOException {
        put(p, entry, Kind.SYMLINK);
        // Linux symlinks are always 0777 (a directory tree gets that from symlink(2))
        out.begin(header(p, TarOut.SYMLINK, new Meta(0777, meta.uid(), meta.gid(), meta.mtimeNanos(), meta.xattrs()), 0,
                target));
    }

    @Override
    public void hardlink(LayerPath p, String entry, LayerPath target, String targetName) throws IOException {
        Node t = find(directory(target.parent(), entry), target.name());
        if (t == null || (t.kind != Kind.FILE && t.kind != Kind.SYMLINK)) {
            throw DeltaLayer.notExtracted(entry, targetName);
        }
        Node parent = clear(p, entry, false);
        Node still = find(directory(target.parent(), entry), target.name());
        if (still == null) {
            throw DeltaLayer.insideReplaced(entry, targetName);
        }
        parent.children.put(p.name(), still);
        counted();
        out.begin(new TarOut.Header(name(p), TarOut.HARDLINK, 0, 0, 0, 0, 0, name(target), Map.of()));
    }

    @Override
    public void fifo(LayerPath p, String entry, Meta meta) throws IOException {
        put(p, entry, Kind.OTHER);
        out.begin(header(p, TarOut.FIFO, meta, 0, ""));
    }

    @Override
    public void whiteout(LayerPath p, String entry) throws IOException {
        put(p, entry, Kind.OTHER);
        out.begin(new TarOut.Header(name(p), TarOut.CHAR_DEVICE, 0, 0, 0, 0, 0, "", Map.of()));
    }

    @Override
    public void opaque(LayerPath dir, String entry) throws IOException {
        directory(dir, entry);
        out.begin(new TarOut.Header(name(dir.child(OPAQUE)), TarOut.FILE, 0, 0, 0, 0, 0, "", Map.of()));
    }

    @Override
    public void finish() throws IOException {
        out.finish();
    }

    private void put(LayerPath p, String entry, Kind kind) throws IOException {
        if (p.isRoot()) {
            throw ShimException.invalidArgument("delta layer: entry \"" + entry + "\": the root must be a directory");
        }
        clear(p, entry, false).children.put(p.name(), new Node(kind));
        counted();
    }

    /** One more path in the model (replaced paths are not subtracted: a bound, not a count). */
    private void counted() {
        if (++paths > maxPaths) {
            throw new DeltaLayer.TooLargeForImage(maxPaths);
        }
    }

    /** The parent of {@code p}, made sure to be a directory, with whatever was at {@code p} dropped. */
    private Node clear(LayerPath p, String entry, boolean keepDirectory) throws IOException {
        Node parent = directory(p.parent(), entry);
        Node old = parent.children.get(p.name());
        if (old != null && !(keepDirectory && old.kind == Kind.DIRECTORY)) {
            parent.children.remove(p.name());
        }
        return parent;
    }

    /** The node of directory {@code dir}; missing parents are written as implicit directories. */
    private Node directory(LayerPath dir, String entry) throws IOException {
        Node n = root;
        LayerPath walked = new LayerPath(List.of());
        for (String c : dir.components()) {
            walked = walked.child(c);
            Node next = n.children.get(c);
            if (next == null) {
                next = new Node(Kind.DIRECTORY);
                n.children.put(c, next);
                counted();
                implicitDirectory(walked);
            } else if (next.kind == Kind.SYMLINK) {
                throw DeltaLayer.parentIsSymlink(entry, walked);
            } else if (next.kind != Kind.DIRECTORY) {
                throw DeltaLayer.parentNotDirectory(entry, walked);
            }
            n = next;
        }
        return n;
    }

    private static Node find(Node dir, String name) {
        return dir.children.get(name);
    }

    private void implicitDirectory(LayerPath p) throws IOException {
        DirAttrs a = lowerDirs.find(p).orElse(DirAttrs.DEFAULT);
        // without a time of its own it gets the time it is written, as a directory created on disk does
        long mtime = a.mtimeNanos() != 0 ? a.mtimeNanos() : System.currentTimeMillis() * 1_000_000L;
        out.begin(new TarOut.Header(name(p), TarOut.DIRECTORY, a.mode(), a.uid(), a.gid(), mtime, 0, "", Map.of()));
    }

    private static TarOut.Header header(LayerPath p, char type, Meta meta, long size, String link) {
        return new TarOut.Header(name(p), type, meta.mode(), meta.uid(), meta.gid(), meta.mtimeNanos(), size, link,
                meta.xattrs());
    }

    private static String name(LayerPath p) {
        return p.isRoot() ? "." : String.join("/", p.components());
    }
}
