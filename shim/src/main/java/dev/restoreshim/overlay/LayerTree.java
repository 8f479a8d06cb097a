package dev.restoreshim.overlay;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.FileOps;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The directory a delta is extracted into, with the one rule that keeps extraction inside it:
 * every parent of a path written is checked with lstat, component by component, and must be a
 * real directory (a symlink or a file there is refused, a missing one is created). The tree is a
 * fresh private directory that only this extraction writes, so what lstat sees stays true.
 * Directory times are applied last ({@link #finish}), since creating children changes them.
 * Not thread-safe: one extraction, one thread.
 */
final class LayerTree {
    private final Path root;
    private final FileOps files;
    private final LowerDirs lowerDirs;
    /** Directory times to apply at {@link #finish}: paths as strings and times side by side (compact). */
    private final List<String> deferredPaths = new ArrayList<>();
    private long[] deferredMtimes = new long[64];
    /**
     * Directories already checked (or created) by this extraction, so that siblings skip the lstat
     * walk; forgotten when anything is removed, and when it reaches {@link #KNOWN_DIRS_MAX}: a cache
     * that must not grow with the delta (the daemon's heap is 128 MiB).
     */
    private final Set<LayerPath> knownDirs = new HashSet<>();
    static final int KNOWN_DIRS_MAX = 4096;

    LayerTree(Path root, FileOps files, LowerDirs lowerDirs) {
        this.root = root;
        this.files = files;
        this.lowerDirs = lowerDirs;
    }

    Path root() {
        return root;
    }

    /** The host path of {@code p}; no checks. */
    Path resolve(LayerPath p) {
        Path out = root;
        for (String c : p.components()) {
            out = out.resolve(c);
        }
        return out;
    }

    /**
     * Makes sure {@code dir} and all its parents are real directories (creating missing ones with
     * the lower layers' attributes) and returns its host path.
     *
     * @throws ShimException INVALID_ARGUMENT when a component is a symlink or not a directory
     */
    Path directory(LayerPath dir, String entry) throws IOException {
        if (knownDirs.contains(dir)) {
            return resolve(dir);
        }
        Path p = root;
        LayerPath walked = new LayerPath(List.of());
        for (String c : dir.components()) {
            p = p.resolve(c);
            walked = walked.child(c);
            BasicFileAttributes a = lstat(p);
            if (a == null) {
                createImplicit(p, walked);
            } else if (a.isSymbolicLink()) {
                throw DeltaLayer.parentIsSymlink(entry, walked);
            } else if (!a.isDirectory()) {
                throw DeltaLayer.parentNotDirectory(entry, walked);
            }
        }
        if (knownDirs.size() >= KNOWN_DIRS_MAX) {
            knownDirs.clear();
        }
        knownDirs.add(dir);
        return p;
    }

    /**
     * Prepares {@code p} for a new entry: its parents are directories, and whatever was there
     * before is removed, except a directory when {@code keepDirectory} (a directory entry for an
     * existing directory only updates its attributes). Returns the host path.
     */
    Path clear(LayerPath p, String entry, boolean keepDirectory) throws IOException {
        if (p.isRoot()) {
            return root;
        }
        Path path = directory(p.parent(), entry).resolve(p.name());
        BasicFileAttributes a = lstat(path);
        if (a != null && !(keepDirectory && a.isDirectory())) {
            knownDirs.clear();
            removeTree(path);
        }
        return path;
    }

    /** Gives the layer root the lower layers' root attributes, when they are known. */
    void initRoot() {
        lowerDirs.find(new LayerPath(List.of())).ifPresent(a -> {
            files.lchown(root.toString(), a.uid(), a.gid());
            files.chmod(root.toString(), a.mode());
        });
    }

    /** Applies a time to {@code path} once the whole layer is written. */
    void deferTimes(Path path, long mtimeNanos) {
        int i = deferredPaths.size();
        if (i == deferredMtimes.length) {
            deferredMtimes = java.util.Arrays.copyOf(deferredMtimes, 2 * i);
        }
        deferredMtimes[i] = mtimeNanos;
        deferredPaths.add(path.toString());
    }

    /** Applies the deferred times, deepest (latest) first. */
    void finish() {
        for (int i = deferredPaths.size() - 1; i >= 0; i--) {
            files.utimes(deferredPaths.get(i), deferredMtimes[i], deferredMtimes[i]);
        }
        deferredPaths.clear();
    }

    /** lstat: the attributes, or null when nothing is there. */
    static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Deletes {@code path} and, for a directory, everything under it; never follows symlinks. */
    static void removeTree(Path path) throws IOException {
        if (lstat(path) == null) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void createImplicit(Path p, LayerPath walked) throws IOException {
        Files.createDirectory(p);
        DirAttrs a = lowerDirs.find(walked).orElse(DirAttrs.DEFAULT);
        String s = p.toString();
        files.lchown(s, a.uid(), a.gid());
        files.chmod(s, a.mode());
        if (a.mtimeNanos() != 0) {
            deferTimes(p, a.mtimeNanos());
        }
    }
}
