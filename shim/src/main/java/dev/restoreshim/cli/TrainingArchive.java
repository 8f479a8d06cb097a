package dev.restoreshim.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Tiny synthetic checkpoint archives for {@code restore-shim train --cli}: the containerd CRI layout
 * (gzip OCI-layer delta with a whiteout) and the CRI-O layout (plain delta, {@code deleted.files}),
 * each with {@code checkpoint/} CRIU images, {@code config.dump}, {@code spec.dump}, {@code dump.log}
 * and a {@code stats-dump}. Written with a minimal ustar writer of its own, so that training does not
 * pull a tar library into the CLI's AOT cache. Not thread-safe; one builder per archive.
 */
final class TrainingArchive {
    private static final int BLOCK = 512;
    private static final byte[] INVENTORY = {0x16, 0x11, 0x31, 0x58, 2, 0, 0, 0, 0x08, 0x02};
    /** Two magics, an entry of 14 bytes: stats_entry{dump = {1:10, 2:20, 3:30, 4:40, 5:60, 7:50}}. */
    private static final byte[] STATS = {0x52, 0x75, 0x55, 0x57, 0x17, 0x15, 0x70, 0x57, 14, 0, 0, 0,
        0x0a, 12, 0x08, 10, 0x10, 20, 0x18, 30, 0x20, 40, 0x28, 60, 0x38, 50};
    private static final String CONFIG = """
            {"id":"7a1n","name":"train_pod_default_1_0","rootfsImage":"localhost:5000/train:1",\
            "rootfsImageRef":"sha256:7a1n","rootfsImageName":"localhost:5000/train:1",\
            "runtime":"io.containerd.runc.v2","createdTime":"2026-01-01T00:00:00Z",\
            "checkpointedTime":"2026-01-01T00:01:00Z"}""";
    private static final String SPEC = """
            {"ociVersion":"1.2.0","process":{"args":["/train","1"],"env":["PATH=/bin"],"cwd":"/"},\
            "annotations":{"io.kubernetes.cri.container-name":"train","io.kubernetes.cri.sandbox-name":"pod"}}""";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private TrainingArchive() {
    }

    /** Writes a containerd CRI archive to {@code target}. */
    static Path containerd(Path target) throws IOException {
        TrainingArchive delta = new TrainingArchive().dir("data").file("data/written.txt", text("written\n"))
                .file("etc/.wh.removed", new byte[0]).file("usr/share/.wh..wh..opq", new byte[0]);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(delta.finish());
        }
        return criuImages(new TrainingArchive()).file("config.dump", text(CONFIG)).file("container.log", text("hi\n"))
                .file("rootfs-diff.tar", gz.toByteArray()).file("spec.dump", text(SPEC))
                .file("stats-dump", STATS).file("status", text("{}")).writeTo(target);
    }

    /** Writes a CRI-O archive (plain delta, {@code deleted.files}) to {@code target}. */
    static Path crio(Path target) throws IOException {
        byte[] delta = new TrainingArchive().dir("var/lib/app").file("var/lib/app/state", text("state\n")).finish();
        return criuImages(new TrainingArchive()).file("config.dump", text(CONFIG)).file("spec.dump", text(SPEC))
                .file("stats-dump", STATS).file("dump.log", text("(00.000000) Version: 4.1.1 (gitid 0)\n"))
                .file("bind.mounts", text("[]")).file("rootfs-diff.tar", delta)
                .file("deleted.files", text("[\"/etc/motd\",\"/usr/share/doc\"]")).writeTo(target);
    }

    private static TrainingArchive criuImages(TrainingArchive t) {
        return t.dir("checkpoint").file("checkpoint/inventory.img", INVENTORY)
                .file("checkpoint/core-1.img", new byte[900]).file("checkpoint/mm-1.img", new byte[300])
                .file("checkpoint/pagemap-1.img", new byte[64]).file("checkpoint/pages-1.img", new byte[3 * 4096])
                .file("checkpoint/dump.log", text("(00.000000) Version: 4.1.1 (gitid 0)\n"));
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private TrainingArchive dir(String name) {
        header(name + "/", 0, '5', 0755);
        return this;
    }

    private TrainingArchive file(String name, byte[] data) {
        header(name, data.length, '0', 0644);
        out.writeBytes(data);
        out.writeBytes(new byte[(BLOCK - data.length % BLOCK) % BLOCK]);
        return this;
    }

    private Path writeTo(Path target) throws IOException {
        return Files.write(target, finish());
    }

    private byte[] finish() {
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    /** One ustar header; names are short, so no prefix or PAX record is needed. */
    private void header(String name, long size, char type, int mode) {
        byte[] h = new byte[BLOCK];
        put(h, 0, name);
        put(h, 100, octal(mode, 7));
        put(h, 108, octal(0, 7));
        put(h, 116, octal(0, 7));
        put(h, 124, octal(size, 11));
        put(h, 136, octal(1_767_225_600L, 11));
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, octal(sum, 6));
        h[154] = 0;
        out.writeBytes(h);
    }

    private static String octal(long v, int width) {
        String s = Long.toOctalString(v);
        return "0".repeat(Math.max(0, width - s.length())) + s;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }
}
