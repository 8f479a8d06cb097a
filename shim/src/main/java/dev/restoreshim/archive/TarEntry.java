package dev.restoreshim.archive;

import java.util.Objects;

/**
 * One member of a tar archive, as its headers declare it (GNU long names and PAX {@code path},
 * {@code linkpath} and {@code size} applied).
 *
 * @param name the path inside the archive, normalized: no leading {@code ./} or {@code /}, no
 *     trailing {@code /}, no {@code .} components (an {@link EntryPolicy} has already refused
 *     {@code ..} and absolute names)
 * @param type the member's type
 * @param mode permission bits (and setuid/setgid/sticky), {@code 07777} at most
 * @param size the data size in bytes (0 for everything but files)
 * @param dataOffset where the data starts, counted from the start of the tar stream
 * @param linkTarget the link target for symlinks and hardlinks, else empty
 * @param devMajor device major number (devices only)
 * @param devMinor device minor number (devices only)
 */
public record TarEntry(String name, EntryType type, int mode, long size, long dataOffset, String linkTarget,
                       int devMajor, int devMinor) {
    public TarEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(linkTarget, "linkTarget");
        if (size < 0 || dataOffset < 0) {
            throw new IllegalArgumentException("size and dataOffset must be >= 0: " + size + ", " + dataOffset);
        }
    }

    public boolean isFile() {
        return type == EntryType.FILE;
    }

    /** The last path component. */
    public String fileName() {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    /** True when this is a file directly or indirectly below {@code dir} (a normalized name). */
    public boolean isUnder(String dir) {
        return name.startsWith(dir + "/");
    }
}
