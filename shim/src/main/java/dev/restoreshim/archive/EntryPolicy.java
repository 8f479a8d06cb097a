package dev.restoreshim.archive;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The one place where archive entries are policed. Every header read by {@link TarIndex} or
 * {@link TarStream} passes through it before anyone sees the entry.
 *
 * <p>Refused, with INVALID_ARGUMENT: names with a NUL byte, absolute names, names with a {@code ..}
 * component, names longer than {@value #MAX_NAME_BYTES} bytes; hardlinks whose target is absolute or
 * has {@code ..}; symlinks whose target, resolved lexically from the link's directory, leaves the
 * extraction root (an absolute target is read as relative to the root, as inside a container);
 * device nodes and FIFOs, except character devices 0:0 (overlay whiteouts) when
 * {@link #allowWhiteoutDevices} is set; sizes larger than what remains of the archive (truncation).
 * Refused with RESOURCE_EXHAUSTED: more than {@link #maxEntries} entries, an entry larger than
 * {@link #maxEntrySize}, more than {@link #maxInflatedBytes} decompressed bytes, a decompression
 * ratio above {@link #maxInflationRatio} once {@value #RATIO_GRACE_BYTES} bytes came out.
 *
 * <p>Extraction code must still create files without following symlinks (O_NOFOLLOW and friends):
 * the check here is lexical and does not chase chains of links inside the archive.
 *
 * @param maxEntries most entries one tar may have
 * @param maxEntrySize largest declared size of one entry, in bytes
 * @param maxInflatedBytes most bytes one decompressed stream may produce
 * @param maxInflationRatio largest decompressed/compressed ratio of one stream
 * @param allowWhiteoutDevices whether character devices 0:0 are accepted (only for delta formats
 *     that use them as whiteouts)
 */
public record EntryPolicy(int maxEntries, long maxEntrySize, long maxInflatedBytes, int maxInflationRatio,
                          boolean allowWhiteoutDevices) {
    /** Longest accepted entry name or link target, in UTF-8 bytes (Linux PATH_MAX). */
    public static final int MAX_NAME_BYTES = 4096;
    /** The ratio check starts after this many decompressed bytes, so tiny highly-compressible files pass. */
    public static final long RATIO_GRACE_BYTES = 1L << 20;

    public EntryPolicy {
        if (maxEntries < 1 || maxEntrySize < 0 || maxInflatedBytes < 0 || maxInflationRatio < 1) {
            throw new IllegalArgumentException("limits must be positive: entries=" + maxEntries + " entrySize="
                    + maxEntrySize + " inflated=" + maxInflatedBytes + " ratio=" + maxInflationRatio);
        }
    }

    /**
     * The defaults: 1,000,000 entries, 256 GiB per entry and per decompressed stream, ratio 1000
     * (memory pages full of zeros compress very well with zstd), no whiteout devices.
     */
    public static EntryPolicy defaults() {
        return new EntryPolicy(1_000_000, 256L << 30, 256L << 30, 1000, false);
    }

    public EntryPolicy withWhiteoutDevices(boolean allow) {
        return new EntryPolicy(maxEntries, maxEntrySize, maxInflatedBytes, maxInflationRatio, allow);
    }

    public EntryPolicy withMaxEntries(int n) {
        return new EntryPolicy(n, maxEntrySize, maxInflatedBytes, maxInflationRatio, allowWhiteoutDevices);
    }

    public EntryPolicy withMaxEntrySize(long n) {
        return new EntryPolicy(maxEntries, n, maxInflatedBytes, maxInflationRatio, allowWhiteoutDevices);
    }

    public EntryPolicy withInflation(long maxBytes, int maxRatio) {
        return new EntryPolicy(maxEntries, maxEntrySize, maxBytes, maxRatio, allowWhiteoutDevices);
    }

    /** Refuses the entry that would be number {@code count} (1-based) when it is over {@link #maxEntries}. */
    void checkCount(String archive, String name, long count) {
        if (count > maxEntries) {
            throw ArchiveErrors.exhausted(archive, name, "more than " + maxEntries + " entries");
        }
    }

    /**
     * Checks a raw member name and returns it normalized (see {@link TarEntry#name()}); returns the
     * empty string for the archive root itself ({@code ./}).
     */
    String checkName(String archive, String raw) {
        if (raw.indexOf('\0') >= 0) {
            throw ArchiveErrors.invalid(archive, raw, "name contains a NUL byte");
        }
        if (raw.isEmpty()) {
            throw ArchiveErrors.invalid(archive, raw, "empty name");
        }
        if (raw.startsWith("/")) {
            throw ArchiveErrors.invalid(archive, raw, "absolute path");
        }
        checkLength(archive, raw, raw);
        StringBuilder out = new StringBuilder(raw.length());
        for (String part : raw.split("/")) {
            if (part.equals("..")) {
                throw ArchiveErrors.invalid(archive, raw, "path has a \"..\" component");
            }
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (!out.isEmpty()) {
                out.append('/');
            }
            out.append(part);
        }
        return out.toString();
    }

    /** Checks the link target of a (normalized) link entry. */
    void checkLink(String archive, String name, EntryType type, String target) {
        if (target.isEmpty()) {
            throw ArchiveErrors.invalid(archive, name, "link with an empty target");
        }
        if (target.indexOf('\0') >= 0) {
            throw ArchiveErrors.invalid(archive, name, "link target contains a NUL byte");
        }
        checkLength(archive, name, target);
        if (type == EntryType.HARDLINK) {
            if (target.startsWith("/") || hasDotDot(target)) {
                throw ArchiveErrors.invalid(archive, name, "hardlink target \"" + ArchiveErrors.printable(target)
                        + "\" escapes the extraction root");
            }
            return;
        }
        Deque<String> dirs = new ArrayDeque<>();
        if (!target.startsWith("/")) {
            String[] parts = name.split("/");
            for (int i = 0; i < parts.length - 1; i++) {
                dirs.addLast(parts[i]);
            }
        }
        for (String part : target.split("/")) {
            if (part.equals("..")) {
                if (dirs.isEmpty()) {
                    throw ArchiveErrors.invalid(archive, name, "symlink target \"" + ArchiveErrors.printable(target)
                            + "\" escapes the extraction root");
                }
                dirs.removeLast();
            } else if (!part.isEmpty() && !part.equals(".")) {
                dirs.addLast(part);
            }
        }
    }

    /** Refuses device nodes and FIFOs (whiteout devices aside, when allowed). */
    void checkType(String archive, String name, EntryType type, int major, int minor) {
        switch (type) {
            case FILE, DIRECTORY, SYMLINK, HARDLINK -> {
            }
            case CHAR_DEVICE -> {
                if (!(allowWhiteoutDevices && major == 0 && minor == 0)) {
                    throw ArchiveErrors.invalid(archive, name, "character device " + major + ":" + minor
                            + " not allowed" + (allowWhiteoutDevices ? " (only 0:0 whiteouts)" : ""));
                }
            }
            case BLOCK_DEVICE -> throw ArchiveErrors.invalid(archive, name, "block device " + major + ":" + minor + " not allowed");
            case FIFO -> throw ArchiveErrors.invalid(archive, name, "FIFO not allowed");
        }
    }

    /**
     * Checks a declared size against the cap and, when {@code remaining} is known (not negative),
     * against the bytes left in the archive after the header.
     */
    void checkSize(String archive, String name, long size, long remaining) {
        if (size > maxEntrySize) {
            throw ArchiveErrors.exhausted(archive, name, "declared size " + size + " bytes exceeds the cap of "
                    + maxEntrySize + " bytes");
        }
        if (remaining >= 0 && size > remaining) {
            throw ArchiveErrors.invalid(archive, name, "truncated archive: entry declares " + size
                    + " bytes but only " + remaining + " remain");
        }
    }

    private static void checkLength(String archive, String name, String value) {
        if (value.length() > MAX_NAME_BYTES || value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw ArchiveErrors.invalid(archive, name, "name or link target longer than " + MAX_NAME_BYTES + " bytes");
        }
    }

    private static boolean hasDotDot(String path) {
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                return true;
            }
        }
        return false;
    }
}
