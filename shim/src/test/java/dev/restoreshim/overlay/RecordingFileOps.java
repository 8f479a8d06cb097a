package dev.restoreshim.overlay;

import dev.restoreshim.sys.FileOps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link FileOps} that records every call (as {@code "mknod /p 20000 0"} lines) and needs no
 * root: mknod leaves an empty regular file standing in for the node (so the tree keeps its
 * shape), xattrs live in a map.
 */
final class RecordingFileOps implements FileOps {
    final List<String> calls = new ArrayList<>();
    final Map<String, Integer> nodes = new HashMap<>();
    final Map<String, Map<String, byte[]>> xattrs = new HashMap<>();

    @Override
    public synchronized void mknod(String path, int mode, long dev) {
        calls.add("mknod " + path + " " + Integer.toOctalString(mode) + " " + dev);
        try {
            Files.createFile(Path.of(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        nodes.put(path, mode);
    }

    @Override
    public synchronized void chmod(String path, int mode) {
        calls.add("chmod " + path + " " + Integer.toOctalString(mode));
    }

    @Override
    public synchronized void lchown(String path, int uid, int gid) {
        calls.add("lchown " + path + " " + uid + ":" + gid);
    }

    @Override
    public synchronized void lsetxattr(String path, String name, byte[] value) {
        calls.add("lsetxattr " + path + " " + name + "=" + new String(value, StandardCharsets.UTF_8));
        xattrs.computeIfAbsent(path, k -> new HashMap<>()).put(name, value.clone());
    }

    @Override
    public synchronized byte[] lgetxattr(String path, String name) {
        return xattrs.getOrDefault(path, Map.of()).get(name);
    }

    @Override
    public synchronized void utimes(String path, long atimeNanos, long mtimeNanos) {
        calls.add("utimes " + path + " " + mtimeNanos);
    }

    /** True when {@code path} is a whiteout: a char device 0:0 made through this fake. */
    synchronized boolean isWhiteout(Path path) {
        Integer mode = nodes.get(path.toString());
        return mode != null && mode == S_IFCHR && calls.contains("mknod " + path + " 20000 0");
    }

    /** Calls that mention {@code path}. */
    synchronized List<String> callsFor(Path path) {
        String p = path.toString();
        return calls.stream().filter(c -> c.split(" ")[1].equals(p)).toList();
    }
}
