package dev.restoreshim.restore;

import dev.restoreshim.sys.FileOps;
import dev.restoreshim.sys.FsMounts;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.SysException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Small checkpoint archives built in tests, and recording fakes of the system calls. */
final class RestoreFixtures {
    private RestoreFixtures() {
    }

    /** A tar of {@code members} (name to bytes; a name ending in "/" is a directory). */
    static byte[] tar(Map<String, byte[]> members) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (var m : members.entrySet()) {
                var e = new TarArchiveEntry(m.getKey());
                if (!m.getKey().endsWith("/")) {
                    e.setSize(m.getValue().length);
                }
                out.putArchiveEntry(e);
                if (!m.getKey().endsWith("/")) {
                    out.write(m.getValue());
                }
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] data) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    /**
     * A containerd-style checkpoint archive: {@code checkpoint/} images (pages of
     * {@code pagesBytes}), a gzip {@code rootfs-diff.tar} holding {@code delta}, and metadata.
     */
    static Path archive(Path file, int pagesBytes, byte[] delta) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("checkpoint/", new byte[0]);
        m.put("checkpoint/inventory.img", "inventory".getBytes(StandardCharsets.UTF_8));
        m.put("checkpoint/pages-1.img", new byte[pagesBytes]);
        m.put("rootfs-diff.tar", delta);
        m.put("config.dump", "{}".getBytes(StandardCharsets.UTF_8));
        m.put("spec.dump", "{}".getBytes(StandardCharsets.UTF_8));
        m.put("status", "{}".getBytes(StandardCharsets.UTF_8));
        Files.write(file, tar(m));
        return file;
    }

    /** A gzip OCI layer holding {@code etc/written} and a whiteout of {@code etc/deleted}. */
    static byte[] containerdDelta() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("etc/", new byte[0]);
        m.put("etc/written", "hello".getBytes(StandardCharsets.UTF_8));
        m.put("etc/.wh.deleted", new byte[0]);
        return gzip(tar(m));
    }

    /** A bundle whose config.json carries {@code annotations}. */
    static Path bundle(Path dir, Map<String, String> annotations) throws IOException {
        Files.createDirectories(dir);
        StringBuilder json = new StringBuilder("{\"ociVersion\":\"1.2.0\",\"annotations\":{");
        String sep = "";
        for (var a : annotations.entrySet()) {
            json.append(sep).append('"').append(a.getKey()).append("\":\"").append(a.getValue()).append('"');
            sep = ",";
        }
        Files.writeString(dir.resolve("config.json"), json.append("}}"));
        return dir;
    }

    /** Records mount and unmount calls in order; fails the mounts {@code failing} accepts. */
    static final class RecordingMounts implements Mounts {
        final List<String> calls = new ArrayList<>();
        Predicate<String> failing = fstype -> false;
        /** Options (mount data) the fake kernel refuses with EINVAL. */
        Predicate<String> unknownOption = data -> false;
        /** Runs with the fstype after each successful mount (what the kernel does besides mounting). */
        java.util.function.Consumer<String> afterMount = fstype -> { };

        @Override
        public synchronized void mount(String source, String target, String fstype, long flags, String data) {
            if (data != null && unknownOption.test(data)) {
                calls.add("refused mount " + fstype + " " + target + " " + data);
                throw new SysException("mount", 22, target);
            }
            if (failing.test(fstype)) {
                calls.add("failed mount " + fstype + " " + target);
                throw new SysException("mount", 22, target);
            }
            calls.add("mount " + fstype + " " + target + " " + data);
            afterMount.accept(fstype);
        }

        @Override
        public synchronized void unmount(String target, int flags) {
            calls.add("unmount " + target);
        }

        synchronized List<String> calls() {
            return List.copyOf(calls);
        }
    }

    /** The new mount API, never expected in these tests (short option strings). */
    static final class NoFsMounts implements FsMounts {
        @Override
        public void mount(String fstype, List<Param> params, int attrFlags, String target) {
            throw new AssertionError("fsconfig mount not expected for " + target);
        }
    }

    /** Metadata calls with no effect: mknod leaves an empty file standing for the node; no root needed. */
    static final class InertFileOps implements FileOps {
        @Override
        public void mknod(String path, int mode, long dev) {
            try {
                Files.createFile(Path.of(path));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void chmod(String path, int mode) {
        }

        @Override
        public void lchown(String path, int uid, int gid) {
        }

        @Override
        public void lsetxattr(String path, String name, byte[] value) {
        }

        @Override
        public byte[] lgetxattr(String path, String name) {
            return null;
        }

        @Override
        public void utimes(String path, long atimeNanos, long mtimeNanos) {
        }
    }
}
