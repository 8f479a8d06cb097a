package dev.restoreshim.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** Synthetic restore-image checkpoint layers (as the snapshotter unpacks them) for tests. */
final class RestoreImageFixtures {
    private RestoreImageFixtures() {
    }

    /** The CRIU images of a small checkpoint: small files and a page image of {@code pagesBytes}. */
    static Map<String, byte[]> images(int pagesBytes) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("inventory.img", "inventory".getBytes(StandardCharsets.UTF_8));
        m.put("core-1.img", "core".getBytes(StandardCharsets.UTF_8));
        m.put("pages-1.img", new byte[pagesBytes]);
        return m;
    }

    /** Writes a layer dir holding {@code images} and the restore.json that describes them. */
    static Path layer(Path dir, Map<String, byte[]> images) throws IOException {
        Path cp = Files.createDirectories(dir.resolve(".restore-shim/checkpoint"));
        for (var e : images.entrySet()) {
            Files.write(cp.resolve(e.getKey()), e.getValue());
        }
        Files.writeString(dir.resolve(".restore-shim/restore.json"), json(images));
        return dir;
    }

    /** restore.json for {@code images}: digests below 1 MiB, null above. */
    static String json(Map<String, byte[]> images) {
        StringBuilder list = new StringBuilder();
        for (var e : images.entrySet()) {
            String sha = e.getValue().length < RestoreImageMetadata.HASHED_BELOW ? "\"" + sha256(e.getValue()) + "\"" : "null";
            list.append(list.isEmpty() ? "" : ",").append("{\"name\":\"").append(e.getKey()).append("\",\"size\":")
                    .append(e.getValue().length).append(",\"sha256\":").append(sha).append('}');
        }
        return """
                {"format":"restore-shim.dev/restore-image","version":1,
                 "checkpoint":{"containerName":"app","created":"2026-11-23T14:00:00Z","criuVersion":"4.1.1",
                   "runtime":"runc","archiveFlavour":"containerd","baseImage":"localhost/app:1","baseImageDigest":null},
                 "layers":{"base":["sha256:aa"],"delta":"sha256:bb"},
                 "images":[%s],
                 "criuOptions":{}}
                """.formatted(list);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
