package dev.restoreshim.archive;

/** The kind of a tar member after long-name and PAX records are applied. */
public enum EntryType {
    FILE,
    DIRECTORY,
    SYMLINK,
    HARDLINK,
    CHAR_DEVICE,
    BLOCK_DEVICE,
    FIFO;

    /** The type for a ustar typeflag byte of a real (non-metadata) member, or null if it is not one. */
    static EntryType ofFlag(byte flag) {
        return switch (flag) {
            case '0', 0, '7' -> FILE;
            case '1' -> HARDLINK;
            case '2' -> SYMLINK;
            case '3' -> CHAR_DEVICE;
            case '4' -> BLOCK_DEVICE;
            case '5' -> DIRECTORY;
            case '6' -> FIFO;
            default -> null;
        };
    }
}
