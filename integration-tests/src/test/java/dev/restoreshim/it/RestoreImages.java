package dev.restoreshim.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Restore images (docs/restore-image.md, format v1) built from a containerd checkpoint archive
 * and pushed to the loopback registry.
 *
 * <p>{@link #build} makes a good image the way an operator does: {@code restore-shim convert
 * ARCHIVE --push REF --base BASE --plain-http}. {@link #buildWithBuildah} builds the same layout
 * with buildah, with a hook to break the checkpoint layer before the commit: convert cannot make
 * a corrupt image, the refusal tests need one. Unlike convert, buildah recompresses the delta and
 * gzips the checkpoint layer.
 */
public final class RestoreImages {
    private static final long HASHED_BELOW = 1 << 20;

    private RestoreImages() {
    }

    /** Builds the restore image of {@code archive} (checkpointed from {@code base}) and pushes it as {@code ref}. */
    public static void build(Path archive, String base, String ref, Path workDir) throws IOException {
        Path jar = TestEnvironment.repoDir().resolve("shim/target/restore-shim.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IOException("run `mvn package` in shim first: no " + jar);
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        HostCommand.of(javaBin, "-jar", jar.toString(), "convert", archive.toString(), "--push", ref, "--base", base,
                "--plain-http").withTimeout(Duration.ofSeconds(300)).check();
    }

    /**
     * The buildah build; {@code tamper} gets the {@code .restore-shim} directory of the
     * checkpoint layer after restore.json is written and before the commit (for corrupt images).
     */
    public static void buildWithBuildah(Path archive, String base, String ref, Path workDir, Consumer<Path> tamper)
            throws IOException {
        Path work = Files.createTempDirectory(workDir, "restore-image-");
        String tag = "localhost/rsit-restore-image-" + ProcessHandle.current().pid() + "-" + work.getFileName();
        List<String> containers = new ArrayList<>();
        try {
            Path unpacked = Files.createDirectories(work.resolve("archive"));
            HostCommand.of("tar", "-C", unpacked.toString(), "-xf", archive.toString()).check();

            String delta = from(containers, "--tls-verify=false", "docker://" + base);
            Path root = mount(delta);
            try {
                applyDelta(unpacked.resolve("rootfs-diff.tar"), root);
            } finally {
                HostCommand.of("buildah", "umount", delta).check();
            }
            HostCommand.of("buildah", "commit", "-q", "--format", "oci", delta, tag + "-delta").check();

            String checkpoint = from(containers, tag + "-delta");
            root = mount(checkpoint);
            try {
                Path reserved = root.resolve(".restore-shim");
                writeCheckpointLayer(unpacked.resolve("checkpoint"), reserved, base);
                tamper.accept(reserved);
            } finally {
                HostCommand.of("buildah", "umount", checkpoint).check();
            }
            HostCommand.of("buildah", "config", "--annotation", "dev.restoreshim.restore-image.version=1", checkpoint)
                    .check();
            HostCommand.of("buildah", "commit", "-q", "--format", "oci", "--disable-compression", checkpoint, tag)
                    .check();
            HostCommand.of("buildah", "push", "-q", "--tls-verify=false", tag, "docker://" + ref)
                    .withTimeout(Duration.ofSeconds(180)).check();
        } finally {
            for (String c : containers) {
                HostCommand.of("buildah", "rm", c).run();
            }
            for (String image : List.of(tag, tag + "-delta", base)) { // base: pulled by buildah from
                HostCommand.of("buildah", "rmi", "-f", image).run();
            }
            LocalRegistry.deleteTree(work);
        }
    }

    private static String from(List<String> containers, String... args) {
        List<String> argv = new ArrayList<>(List.of("buildah", "from", "-q"));
        argv.addAll(List.of(args));
        String id = HostCommand.of(argv).withTimeout(Duration.ofSeconds(180)).check().stdout().strip();
        containers.add(id);
        return id;
    }

    private static Path mount(String container) {
        return Path.of(HostCommand.of("buildah", "mount", container).check().stdout().strip());
    }

    /** Extracts an OCI layer tar onto {@code root} and applies its {@code .wh.} whiteouts. */
    private static void applyDelta(Path layer, Path root) throws IOException {
        if (!Files.exists(layer)) {
            return;
        }
        HostCommand.of("tar", "--numeric-owner", "-xpf", layer.toString(), "-C", root.toString()).check();
        List<Path> whiteouts;
        try (Stream<Path> walk = Files.walk(root)) {
            whiteouts = walk.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith(".wh."))
                    .toList();
        }
        for (Path wh : whiteouts) {
            String name = wh.getFileName().toString().substring(4);
            if (name.equals(".wh..opq")) {
                throw new IOException("opaque directories are not supported by this test builder: " + wh);
            }
            LocalRegistry.deleteTree(wh.resolveSibling(name));
            Files.delete(wh);
        }
    }

    /** {@code .restore-shim/checkpoint/*} (0600) and {@code .restore-shim/restore.json}, the directory 0700. */
    private static void writeCheckpointLayer(Path images, Path reserved, String base) throws IOException {
        Path target = Files.createDirectories(reserved.resolve("checkpoint"));
        Files.setPosixFilePermissions(reserved, PosixFilePermissions.fromString("rwx------"));
        List<Path> files;
        try (Stream<Path> list = Files.list(images)) {
            files = list.sorted().toList();
        }
        StringBuilder list = new StringBuilder();
        for (Path f : files) {
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("not a regular file in the archive's checkpoint/: " + f);
            }
            Path copy = target.resolve(f.getFileName());
            Files.copy(f, copy);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
            long size = Files.size(f);
            String sha = size < HASHED_BELOW ? "\"" + sha256(f) + "\"" : "null";
            list.append(list.isEmpty() ? "" : ",\n    ").append("{\"name\":\"").append(f.getFileName())
                    .append("\",\"size\":").append(size).append(",\"sha256\":").append(sha).append('}');
        }
        Files.writeString(reserved.resolve("restore.json"), """
                {"format":"restore-shim.dev/restore-image","version":1,
                 "checkpoint":{"containerName":"app","created":"%s","criuVersion":"4.1.1","runtime":"runc",
                   "archiveFlavour":"containerd","baseImage":"%s","baseImageDigest":null},
                 "layers":{"base":[],"delta":null},
                 "images":[%s],
                 "criuOptions":{}}
                """.formatted(java.time.Instant.now(), base, list));
        Files.setPosixFilePermissions(reserved.resolve("restore.json"), PosixFilePermissions.fromString("rw-------"));
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
