package dev.restoreshim.archive;

import java.util.List;

/**
 * CRI-O's and Podman's {@code deleted.files}: a JSON array of paths (relative to the container root,
 * sometimes with a leading {@code /}) removed since the image. Every path is policed like an entry
 * name, so none can point outside the root.
 */
public final class DeletedFiles {
    private DeletedFiles() {
    }

    /**
     * Parses and checks the member's text; returns normalized relative paths.
     *
     * @param archive the archive's name, for messages
     * @throws dev.restoreshim.errors.ShimException INVALID_ARGUMENT when it is not a JSON array of
     *     strings, or a path has {@code ..} or a NUL byte
     */
    public static List<String> parse(String archive, String json, EntryPolicy policy) {
        Object v;
        try {
            v = JsonText.parse(json);
        } catch (IllegalArgumentException e) {
            throw ArchiveErrors.invalid(archive, "deleted.files", "not JSON: " + e.getMessage());
        }
        if (!(v instanceof List<?> list)) {
            throw ArchiveErrors.invalid(archive, "deleted.files", "not a JSON array");
        }
        return list.stream().map(e -> {
            if (!(e instanceof String path)) {
                throw ArchiveErrors.invalid(archive, "deleted.files", "element " + e + " is not a string");
            }
            String relative = path.replaceFirst("^/+", "");
            String normalized = policy.checkName(archive + "!deleted.files", relative.isEmpty() ? "/" : relative);
            if (normalized.isEmpty()) {
                throw ArchiveErrors.invalid(archive, "deleted.files", "lists the root directory");
            }
            return normalized;
        }).toList();
    }
}
