package dev.restoreshim.overlay;

import dev.restoreshim.sys.LinuxFileOps;
import dev.restoreshim.sys.LinuxMounts;
import dev.restoreshim.sys.Mounts;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The two forms of a cached delta layer, measured with the daemon's own code: a containerd-style
 * {@code rootfs-diff.tar} (a gzip OCI layer: many small files, one large, a whiteout) turned into
 * a directory ({@code DeltaLayer.extract}, restore.delta = "directory") and into an EROFS image
 * ({@code DeltaLayer.writeTar} piped into {@code mkfs.erofs --tar=f --aufs}, the default), each
 * run with the page cache dropped before; then what a restore of a cached delta costs in each form
 * (nothing for a directory; mounting and detaching the image) and what evicting it costs.
 * Times are until the call returns and until the layer is on disk (syncfs). Works in a directory
 * under /var/tmp (on disk, like the cache), removed at the end.
 *
 * <p>Properties: {@code bench.files} (default 20000 files of {@code bench.fileKiB}, default 4),
 * {@code bench.bigMiB} (one large file, default 256), {@code bench.runs} (default 3). Run by
 * {@code deploy/bench-delta.sh} (root: it drops the page cache and mounts); a test source of the
 * shim module, so that it calls the daemon's classes directly.
 */
public final class DeltaBench {
    private DeltaBench() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory(Path.of("/var/tmp"), "delta-bench-");
        Thread cleanup = new Thread(() -> {
            try {
                run("sh", "-c", "grep -q ' " + work + "/' /proc/self/mountinfo && umount -l " + work + "/mnt-* || true");
                removeTree(work);
            } catch (Exception e) {
                System.err.println("delta bench: cleanup of " + work + ": " + e);
            }
        });
        Runtime.getRuntime().addShutdownHook(cleanup); // also on Ctrl-C
        measure(work);
    }

    private record Run(long buildMs, long syncedMs, long mountMs, long evictMs, long bytes) {
    }

    private static void measure(Path work) throws Exception {
        int files = Integer.getInteger("bench.files", 20_000);
        int fileKiB = Integer.getInteger("bench.fileKiB", 4);
        int bigMiB = Integer.getInteger("bench.bigMiB", 256);
        int runs = Integer.getInteger("bench.runs", 3);
        long paths = files + files / 100 + 8L; // files, their directories, data/, var/, etc/, the root, ...
        if (paths > DeltaLayer.IMAGE_MAX_PATHS) {
            System.err.println("delta bench: " + files + " files make about " + paths + " paths, more than the "
                    + DeltaLayer.IMAGE_MAX_PATHS + " an image build may have (the daemon extracts such a delta into a"
                    + " directory); use fewer files");
            System.exit(1);
        }
        Path delta = work.resolve("rootfs-diff.tar.gz");
        System.out.println("== delta: " + files + " files of " + fileKiB + " KiB in " + (files / 100) + " dirs, one of "
                + bigMiB + " MiB, one whiteout (gzip OCI layer, level 1)");
        writeDelta(delta, files, fileKiB, bigMiB);
        System.out.printf("   %,d bytes compressed%n", Files.size(delta));
        DeltaLayer layer = new DeltaLayer(new LinuxFileOps(), DeltaLayer.Limits.DEFAULT);
        List<Run> dirs = new ArrayList<>();
        List<Run> images = new ArrayList<>();
        for (int i = 1; i <= runs; i++) {
            dirs.add(directory(layer, delta, work.resolve("dir-" + i)));
            images.add(image(layer, delta, work.resolve("img-" + i + ".erofs"), work.resolve("mnt-" + i)));
            System.out.printf("   run %d: directory %s | image %s%n", i, dirs.getLast(), images.getLast());
        }
        Run d = median(dirs);
        Run m = median(images);
        System.out.println("== medians of " + runs + " (page cache dropped before each build)");
        System.out.println("| step | directory | EROFS image | image / directory |");
        System.out.println("|---|---:|---:|---:|");
        row("build (call returns)", d.buildMs(), m.buildMs());
        row("build until on disk (syncfs)", d.syncedMs(), m.syncedMs());
        row("per restore of the cached delta", d.mountMs(), m.mountMs());
        row("evict (delete, syncfs)", d.evictMs(), m.evictMs());
        System.out.printf("| bytes in the cache | %,d | %,d | %.2fx |%n", d.bytes(), m.bytes(), (double) m.bytes() / d.bytes());
    }

    private static void row(String step, long dir, long image) {
        System.out.printf("| %s | %d ms | %d ms | %s |%n", step, dir, image,
                dir == 0 ? "-" : String.format("%.2fx", (double) image / dir));
    }

    private static Run directory(DeltaLayer layer, Path delta, Path dir) throws Exception {
        Files.createDirectories(dir);
        dropCaches();
        long t0 = System.nanoTime();
        try (InputStream in = gunzip(delta)) {
            layer.extract(in, List.of(), dir, LowerDirs.NONE);
        }
        long t1 = System.nanoTime();
        run("sync", "-f", dir.toString());
        long t2 = System.nanoTime();
        long bytes = sizeOf(dir);
        long t3 = System.nanoTime();
        removeTree(dir);
        run("sync", "-f", dir.getParent().toString());
        long t4 = System.nanoTime();
        return new Run(ms(t0, t1), ms(t0, t2), 0, ms(t3, t4), bytes);
    }

    private static Run image(DeltaLayer layer, Path delta, Path image, Path mnt) throws Exception {
        dropCaches();
        long t0 = System.nanoTime();
        Process mkfs = new ProcessBuilder("mkfs.erofs", "--quiet", "--tar=f", "--aufs", image.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (InputStream in = gunzip(delta); OutputStream out = new BufferedOutputStream(mkfs.getOutputStream(), 1 << 20)) {
            layer.writeTar(in, List.of(), out, LowerDirs.NONE);
        }
        if (mkfs.waitFor() != 0) {
            throw new IllegalStateException("mkfs.erofs failed: exit " + mkfs.exitValue());
        }
        long t1 = System.nanoTime();
        run("sync", "-f", image.toString());
        long t2 = System.nanoTime();
        Files.createDirectories(mnt);
        var mounts = new LinuxMounts();
        long t3 = System.nanoTime();
        mounts.mount(image.toString(), mnt.toString(), "erofs", Mounts.MS_RDONLY, "");
        mounts.unmount(mnt.toString(), Mounts.MNT_DETACH);
        long t4 = System.nanoTime();
        Files.delete(mnt);
        long bytes = Files.size(image);
        long t5 = System.nanoTime();
        Files.delete(image);
        run("sync", "-f", image.getParent().toString());
        long t6 = System.nanoTime();
        return new Run(ms(t0, t1), ms(t0, t2), ms(t3, t4), ms(t5, t6), bytes);
    }

    private static void writeDelta(Path delta, int files, int fileKiB, int bigMiB) throws IOException {
        Random random = new Random(42);
        byte[] small = new byte[fileKiB * 1024];
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(
                new BufferedOutputStream(Files.newOutputStream(delta), 1 << 20), 1 << 16) {
            {
                def.setLevel(1);
            }
        })) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int i = 0; i < files; i++) {
                if (i % 100 == 0) {
                    tar.putArchiveEntry(new TarArchiveEntry("data/d" + i / 100 + "/"));
                    tar.closeArchiveEntry();
                }
                random.nextBytes(small);
                put(tar, "data/d" + i / 100 + "/f" + i, small, small.length);
            }
            byte[] chunk = new byte[1 << 20];
            TarArchiveEntry big = new TarArchiveEntry("var/big");
            big.setSize((long) bigMiB << 20);
            tar.putArchiveEntry(big);
            for (int i = 0; i < bigMiB; i++) {
                random.nextBytes(chunk);
                tar.write(chunk);
            }
            tar.closeArchiveEntry();
            put(tar, "etc/.wh.motd", new byte[0], 0);
        }
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] data, int length) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(length);
        tar.putArchiveEntry(e);
        tar.write(data, 0, length);
        tar.closeArchiveEntry();
    }

    private static InputStream gunzip(Path file) throws IOException {
        return new BufferedInputStream(new GZIPInputStream(Files.newInputStream(file), 1 << 16), 1 << 16);
    }

    private static Run median(List<Run> runs) {
        return new Run(med(runs, Run::buildMs), med(runs, Run::syncedMs), med(runs, Run::mountMs), med(runs, Run::evictMs),
                runs.getFirst().bytes());
    }

    private static long med(List<Run> runs, java.util.function.ToLongFunction<Run> f) {
        long[] v = runs.stream().mapToLong(f).sorted().toArray();
        return v[v.length / 2];
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void removeTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void dropCaches() throws IOException, InterruptedException {
        run("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches");
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + ": exit " + p.exitValue());
        }
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }
}
