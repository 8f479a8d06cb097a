package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The verified {@code .restore-shim/restore.json} of a restore image's checkpoint layer (format v1,
 * docs/restore-image.md), read from the layer directory the snapshotter unpacked. {@link #verify}
 * checks, before anything is mounted, that the metadata is well formed and that the layer holds
 * exactly what it lists: {@code .restore-shim/} with {@code restore.json} and {@code checkpoint/},
 * every listed image a regular file (no symlink) of the listed size, the SHA-256 of every image
 * smaller than {@value #HASHED_BELOW} bytes, no unlisted file, no name leaving the directory.
 * Page images (large, no digest) are only checked by size: hashing them would read every byte.
 *
 * @param imagesDir {@code <layer>/.restore-shim/checkpoint}, the CRIU images dir used in place
 * @param version the format version (1)
 * @param containerName the checkpointed container's name (may be empty)
 * @param criuVersion the CRIU version that wrote the images (may be empty)
 * @param images the listed images, in file order
 * @param criuOptions the CRIU options the checkpoint needs at restore, by name (JSON text values)
 */
public record RestoreImageMetadata(Path imagesDir, int version, String containerName, String criuVersion,
        List<Image> images, Map<String, String> criuOptions) {
    /** The reserved directory at the root of the checkpoint layer. */
    public static final String RESERVED_DIR = ".restore-shim";
    /** The metadata file inside {@link #RESERVED_DIR}. */
    public static final String METADATA_FILE = "restore.json";
    /** The images directory inside {@link #RESERVED_DIR}. */
    public static final String IMAGES_DIR = "checkpoint";
    /** The value of {@code format}. */
    public static final String FORMAT = "restore-shim.dev/restore-image";
    /** The newest format version this shim reads. */
    public static final int MAX_VERSION = 1;
    /** Images smaller than this carry a digest, which is checked. */
    public static final long HASHED_BELOW = 1 << 20;
    private static final long MAX_METADATA_BYTES = 1 << 20;
    private static final int MAX_IMAGES = 100_000;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * One listed CRIU image.
     *
     * @param name the file name inside {@code checkpoint/}
     * @param size its exact size in bytes
     * @param sha256 its lower-case hex digest, or null (images of {@link #HASHED_BELOW} bytes and more)
     */
    public record Image(String name, long size, String sha256) {
    }

    public RestoreImageMetadata {
        images = List.copyOf(images);
        criuOptions = Map.copyOf(criuOptions);
    }

    /** Total bytes of the listed images. */
    public long totalBytes() {
        return images.stream().mapToLong(Image::size).sum();
    }

    /** Whether {@code layer} holds {@code .restore-shim/restore.json} (not following symlinks). */
    public static boolean present(Path layer) {
        return Files.exists(layer.resolve(RESERVED_DIR).resolve(METADATA_FILE), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Reads and checks the metadata of the checkpoint layer {@code layer} against its files.
     *
     * @throws ShimException INVALID_ARGUMENT when restore.json is unreadable, not the format, of a
     *     newer version or malformed (bad name, size or digest field); FAILED_PRECONDITION when the
     *     layer's files disagree with it (missing, not a regular file, wrong size, wrong digest,
     *     unlisted) or the layer holds anything besides {@code .restore-shim/}; the message names
     *     the layer directory and the reason
     */
    public static RestoreImageMetadata verify(Path layer) {
        String what = "restore image layer " + layer;
        Path reserved = layer.resolve(RESERVED_DIR);
        requireOnly(what, layer, List.of(RESERVED_DIR), "the checkpoint layer holds");
        requireDirectory(what, reserved);
        requireOnly(what, reserved, List.of(METADATA_FILE, IMAGES_DIR), RESERVED_DIR + "/ holds");
        Path imagesDir = reserved.resolve(IMAGES_DIR);
        requireDirectory(what, imagesDir);
        RestoreImageMetadata m = parse(what, reserved.resolve(METADATA_FILE), imagesDir);
        checkFiles(what, m);
        return m;
    }

    /**
     * Reads restore.json of {@code layer} without checking the layer's files against it (no
     * hashing): for what must be known before {@link #verify} runs, such as the CRIU options.
     *
     * @throws ShimException INVALID_ARGUMENT as {@link #verify} for an unreadable or malformed file
     */
    public static RestoreImageMetadata read(Path layer) {
        Path reserved = layer.resolve(RESERVED_DIR);
        return parse("restore image layer " + layer, reserved.resolve(METADATA_FILE), reserved.resolve(IMAGES_DIR));
    }

    private static RestoreImageMetadata parse(String what, Path file, Path imagesDir) {
        JsonNode root = readJson(what, file);
        String where = what + ": " + RESERVED_DIR + "/" + METADATA_FILE;
        if (!root.isObject()) {
            throw ShimException.invalidArgument(where + ": not a JSON object");
        }
        if (!FORMAT.equals(root.path("format").asString(null))) {
            throw ShimException.invalidArgument(where + ": format is " + root.path("format") + ", expected \"" + FORMAT + "\"");
        }
        JsonNode v = root.path("version");
        if (!v.isIntegralNumber() || v.asLong() < 1) {
            throw ShimException.invalidArgument(where + ": version is " + v + ", expected a positive integer");
        }
        if (v.asLong() > MAX_VERSION) {
            throw ShimException.invalidArgument(where + ": version " + v + " is newer than this shim reads (<= "
                    + MAX_VERSION + ")");
        }
        List<Image> images = images(where, root.path("images"));
        Map<String, String> options = new LinkedHashMap<>();
        JsonNode opts = root.path("criuOptions");
        if (!opts.isMissingNode() && !opts.isNull()) {
            if (!opts.isObject()) {
                throw ShimException.invalidArgument(where + ": criuOptions is not an object");
            }
            opts.properties().forEach(e -> options.put(e.getKey(), e.getValue().toString()));
        }
        JsonNode cp = root.path("checkpoint");
        return new RestoreImageMetadata(imagesDir, (int) v.asLong(), cp.path("containerName").asString(""),
                cp.path("criuVersion").asString(""), images, options);
    }

    private static List<Image> images(String where, JsonNode list) {
        if (!list.isArray() || list.isEmpty()) {
            throw ShimException.invalidArgument(where + ": images must be a non-empty array");
        }
        if (list.size() > MAX_IMAGES) {
            throw ShimException.invalidArgument(where + ": " + list.size() + " images (at most " + MAX_IMAGES + ")");
        }
        List<Image> out = new ArrayList<>();
        TreeSet<String> seen = new TreeSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode n = list.get(i);
            String at = where + ": images[" + i + "]";
            String name = n.path("name").isString() ? n.path("name").asString() : null;
            if (!validName(name)) {
                throw ShimException.invalidArgument(at + ": name " + n.path("name")
                        + " must be a plain file name (no '/', not '.' or '..')");
            }
            if (!seen.add(name)) {
                throw ShimException.invalidArgument(at + ": name \"" + name + "\" listed twice");
            }
            JsonNode size = n.path("size");
            if (!size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
                throw ShimException.invalidArgument(at + " (" + name + "): size is " + size + ", expected a byte count");
            }
            JsonNode sha = n.path("sha256");
            String digest = sha.isString() ? sha.asString() : null;
            if (digest != null && !SHA256.matcher(digest).matches()) {
                throw ShimException.invalidArgument(at + " (" + name + "): sha256 \"" + digest
                        + "\" is not 64 lower-case hex digits");
            }
            if (digest == null && !(sha.isNull() || sha.isMissingNode())) {
                throw ShimException.invalidArgument(at + " (" + name + "): sha256 is " + sha + ", expected hex or null");
            }
            if (digest == null && size.asLong() < HASHED_BELOW) {
                throw ShimException.invalidArgument(at + " (" + name + "): no sha256 for an image of " + size.asLong()
                        + " bytes (required below " + HASHED_BELOW + ")");
            }
            out.add(new Image(name, size.asLong(), digest));
        }
        return out;
    }

    static boolean validName(String name) {
        return name != null && !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\0') < 0 && name.length() <= 255;
    }

    private static void checkFiles(String what, RestoreImageMetadata m) {
        Map<String, Image> listed = new LinkedHashMap<>();
        m.images().forEach(i -> listed.put(i.name(), i));
        for (String present : names(what, m.imagesDir())) {
            if (!listed.containsKey(present)) {
                throw ShimException.failedPrecondition(what + ": " + IMAGES_DIR + "/" + present
                        + " is not listed in " + METADATA_FILE);
            }
        }
        for (Image image : m.images()) {
            Path p = m.imagesDir().resolve(image.name());
            String at = what + ": " + IMAGES_DIR + "/" + image.name();
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw ShimException.failedPrecondition(at + ": listed in " + METADATA_FILE + " but missing");
            }
            if (!a.isRegularFile()) {
                throw ShimException.failedPrecondition(at + ": not a regular file");
            }
            if (a.size() != image.size()) {
                throw ShimException.failedPrecondition(at + ": size " + a.size() + " bytes, " + METADATA_FILE
                        + " says " + image.size());
            }
            if (image.sha256() != null && image.size() < HASHED_BELOW) {
                String actual = sha256(at, p);
                if (!actual.equals(image.sha256())) {
                    throw ShimException.failedPrecondition(at + ": sha256 " + actual + ", " + METADATA_FILE + " says "
                            + image.sha256());
                }
            }
        }
    }

    private static JsonNode readJson(String what, Path file) {
        String where = what + ": " + RESERVED_DIR + "/" + METADATA_FILE;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                throw ShimException.invalidArgument(where + ": not a regular file");
            }
            if (a.size() > MAX_METADATA_BYTES) {
                throw ShimException.invalidArgument(where + ": " + a.size() + " bytes (at most " + MAX_METADATA_BYTES + ")");
            }
            return JSON.readTree(Files.readAllBytes(file));
        } catch (IOException | JacksonException e) {
            throw ShimException.invalidArgument(where + ": cannot read: " + e.getMessage());
        }
    }

    private static void requireDirectory(String what, Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw ShimException.failedPrecondition(what + ": " + dir.getFileName() + " is not a directory");
        }
    }

    private static void requireOnly(String what, Path dir, List<String> allowed, String context) {
        for (String name : names(what, dir)) {
            if (!allowed.contains(name)) {
                throw ShimException.failedPrecondition(what + ": " + context + " \"" + name + "\" besides "
                        + String.join(", ", allowed));
            }
        }
    }

    private static List<String> names(String what, Path dir) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw ShimException.failedPrecondition(what + ": cannot list " + dir + ": " + e.getMessage());
        }
        return out;
    }

    private static String sha256(String at, Path p) {
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw ShimException.failedPrecondition(at + ": cannot read: " + e.getMessage());
        }
    }
}
