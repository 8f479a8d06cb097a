package dev.restoreshim.archive;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;

/** Builds the package's exceptions so that every message reads {@code archive A: entry "E": reason}. */
final class ArchiveErrors {
    private ArchiveErrors() {
    }

    /** A malformed or malicious archive: INVALID_ARGUMENT. */
    static ShimException invalid(String archive, String entry, String reason) {
        return new ShimException(ErrorKind.INVALID_ARGUMENT, message(archive, entry, reason));
    }

    /** A limit of the {@link EntryPolicy} was reached: RESOURCE_EXHAUSTED. */
    static ShimException exhausted(String archive, String entry, String reason) {
        return new ShimException(ErrorKind.RESOURCE_EXHAUSTED, message(archive, entry, reason));
    }

    /** An I/O error while reading: INVALID_ARGUMENT for a broken stream, INTERNAL for anything else. */
    static ShimException io(String archive, String entry, java.io.IOException e) {
        if (e instanceof TarEntryReader.TruncatedEntryException) {
            return new ShimException(ErrorKind.INVALID_ARGUMENT, e.getMessage());
        }
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        ErrorKind kind = e instanceof java.io.EOFException || e instanceof java.util.zip.ZipException
                || e.getClass().getName().startsWith("com.github.luben") ? ErrorKind.INVALID_ARGUMENT : ErrorKind.INTERNAL;
        return new ShimException(kind, message(archive, entry, "read failed: " + reason), e);
    }

    static String message(String archive, String entry, String reason) {
        StringBuilder b = new StringBuilder("archive ").append(archive);
        if (entry != null) {
            b.append(": entry \"").append(printable(entry)).append('"');
        }
        return b.append(": ").append(reason).toString();
    }

    /** The name with control characters (NUL included) shown as \\xNN, so messages stay one line. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length() && b.length() < 300; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
