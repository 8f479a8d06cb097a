package dev.restoreshim.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Small checkpoint archives in the three real layouts, written to a directory: containerd CRI
 * (uncompressed, gzip OCI delta), CRI-O (uncompressed, plain delta + {@code deleted.files}) and a
 * Podman export (zstd, plain delta). Member names and contents follow what those engines write.
 */
public final class CheckpointFixtures {
    /** Size of the fake {@code pages-1.img}. */
    public static final int PAGES = 3 * 4096 + 7;
    /** Size of the fake {@code pages-2.img}. */
    public static final int PAGES_2 = 4096;

    private CheckpointFixtures() {
    }

    /** A CRIU inventory image: magic, size 2, {@code img_version = 1}. */
    public static byte[] inventory() {
        return new byte[] {0x16, 0x11, 0x31, 0x58, 2, 0, 0, 0, 0x08, 0x01};
    }

    public static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static TarBuilder criuImages(TarBuilder t) {
        return t.dir("checkpoint")
                .file("checkpoint/inventory.img", inventory())
                .file("checkpoint/pstree.img", random(40, 1))
                .file("checkpoint/core-1.img", random(900, 2))
                .file("checkpoint/mm-1.img", random(300, 3))
                .file("checkpoint/pagemap-1.img", random(64, 4))
                .file("checkpoint/pages-1.img", random(PAGES, 5))
                .file("checkpoint/pages-2.img", random(PAGES_2, 6))
                .file("checkpoint/descriptors.json", "[\"/dev/null\",\"pipe:[1]\",\"pipe:[2]\"]");
    }

    static final String DUMP_LOG = "(00.000000) Version: 4.1.1 (gitid 0)\n(00.000010) Running on host Linux 6.18\n";

    /** containerd CRI CheckpointContainer output: uncompressed tar, gzip OCI layer delta with whiteouts. */
    public static Path containerd(Path dir) {
        byte[] delta = TarBuilder.gzip(new TarBuilder()
                .dir("data")
                .file("data/written.txt", "written after start\n")
                .file("etc/.wh.removed", new byte[0])
                .dir("usr/share")
                .file("usr/share/.wh..wh..opq", new byte[0])
                .symlink("data/current", "written.txt")
                .build());
        byte[] tar = criuImages(new TarBuilder())
                .file("rootfs-diff.tar", delta)
                .file("config.dump", """
                        {"id":"4f1c0de","name":"fill_pod-a_default_1234_0","rootfsImage":"localhost:5000/fill:1",\
                        "rootfsImageRef":"sha256:aaaa","rootfsImageName":"localhost:5000/fill:1",\
                        "runtime":"io.containerd.runc.v2","createdTime":"2026-11-23T10:00:00Z",\
                        "checkpointedTime":"2026-11-23T10:05:00Z"}""")
                .file("spec.dump", """
                        {"ociVersion":"1.2.0","process":{"args":["/fill","64"],"env":["PATH=/bin","HOME=/"],"cwd":"/work"},\
                        "annotations":{"io.kubernetes.cri.container-name":"fill","io.kubernetes.cri.sandbox-name":"pod-a"}}""")
                .file("status.dump", "{\"id\":\"4f1c0de\"}")
                .file("status", random(30, 7))
                .file("stats-dump", random(60, 8))
                .file("dump.log", DUMP_LOG)
                .file("container.log", "hello\n")
                .build();
        return write(dir.resolve("containerd.tar"), tar);
    }

    /** CRI-O checkpoint: uncompressed tar, plain delta plus deleted.files, bind.mounts. */
    public static Path crio(Path dir) {
        byte[] tar = criuImages(new TarBuilder())
                .file("config.dump", """
                        {"id":"c0ffee","name":"k8s_app_pod","rootfsImage":"quay.io/x/app:2","rootfsImageRef":"sha256:bbbb",\
                        "rootfsImageName":"quay.io/x/app:2","runtime":"runc","createdTime":"2026-11-23T09:00:00Z",\
                        "checkpointedTime":"2026-11-23T09:30:00Z"}""")
                .file("spec.dump", "{\"process\":{\"args\":[\"/app\"],\"cwd\":\"/\"},\"annotations\":{}}")
                .file("stats-dump", random(60, 9))
                .file("dump.log", DUMP_LOG)
                .file("bind.mounts", "[]")
                .file("rootfs-diff.tar", new TarBuilder()
                        .dir("var/lib/app")
                        .file("var/lib/app/state", random(1000, 10))
                        .file("tmp/x", "x")
                        .build())
                .file("deleted.files", "[\"/etc/motd\",\"/usr/share/doc\"]")
                .file("io.kubernetes.cri-o.LogPath", "log line\n")
                .build();
        return write(dir.resolve("crio.tar"), tar);
    }

    /** The tar of a Podman export, before compression. */
    public static byte[] podmanTar() {
        return criuImages(new TarBuilder())
                .dir("artifacts")
                .file("config.dump", """
                        {"id":"d00d","name":"web","rootfsImage":"1234abcd","rootfsImageName":"docker.io/library/nginx:latest",\
                        "createdTime":"2026-11-22T08:00:00Z","checkpointedTime":"2026-11-22T08:10:00Z","runtime":"crun"}""")
                .file("spec.dump", "{\"process\":{\"args\":[\"nginx\",\"-g\",\"daemon off;\"],\"cwd\":\"/\"}}")
                .file("network.status", "[]")
                .file("stats-dump", random(60, 11))
                .file("ctr.log", "")
                .file("rootfs-diff.tar", new TarBuilder().file("etc/nginx/conf.d/x.conf", "server {}\n").build())
                .file("deleted.files", "[\"/etc/nginx/conf.d/default.conf\"]")
                .build();
    }

    /** Podman {@code container checkpoint --export} default: zstd. */
    public static Path podman(Path dir) {
        return write(dir.resolve("podman.tar.zst"), TarBuilder.zstd(podmanTar()));
    }

    public static Path write(Path file, byte[] data) {
        try {
            return Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
