package dev.restoreshim.overlay;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * CRI-O's and Podman's {@code deleted.files}: a JSON array of container paths
 * ({@code ["/etc/motd", "/usr/share/doc"]}) removed since the image, which the delta layer turns
 * into overlay whiteouts.
 */
public final class DeletedFiles {
    /** The largest {@code deleted.files} read (16 MiB). */
    public static final int MAX_BYTES = 16 << 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DeletedFiles() {
    }

    /**
     * Parses the JSON list. The stream is read to its end (at most {@link #MAX_BYTES}) but not
     * closed.
     *
     * @throws ShimException INVALID_ARGUMENT when it is not a JSON array of strings or too large
     */
    public static List<String> parse(InputStream json) {
        byte[] bytes;
        try {
            bytes = json.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw ShimException.invalidArgument("deleted.files: cannot read: " + e.getMessage());
        }
        if (bytes.length > MAX_BYTES) {
            throw ShimException.invalidArgument("deleted.files: larger than " + MAX_BYTES + " bytes");
        }
        try {
            String[] paths = JSON.readValue(bytes, String[].class);
            if (paths == null) {
                return List.of();
            }
            for (String p : paths) {
                if (p == null) {
                    throw ShimException.invalidArgument("deleted.files: null entry in list");
                }
            }
            return List.of(paths);
        } catch (JacksonException e) {
            throw ShimException.invalidArgument("deleted.files: not a JSON list of paths: " + e.getOriginalMessage());
        }
    }
}
