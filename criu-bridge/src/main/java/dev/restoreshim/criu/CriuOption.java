package dev.restoreshim.criu;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A CRIU restore option restore-shim passes through, with the name used in the config file
 * ({@code [criu.defaults]}), in the pod annotation {@code restore-shim.dev/criu-<name>} and in
 * restore image metadata, and the line it becomes in CRIU's config file. Values are checked
 * here, so that nothing but a known option with a well-formed value ever reaches the file.
 */
public enum CriuOption {
    /** {@code --tcp-established}: restore established TCP connections. */
    TCP_ESTABLISHED("tcp-established", Kind.FLAG, "tcp-established"),
    /** {@code --ext-unix-sk}: allow external unix sockets. */
    EXT_UNIX_SK("ext-unix-sk", Kind.FLAG, "ext-unix-sk"),
    /** {@code --file-locks}: restore file locks. */
    FILE_LOCKS("file-locks", Kind.FLAG, "file-locks"),
    /** {@code --manage-cgroups=<mode>} (runc's {@code --manage-cgroups-mode}): soft, full, strict or ignore. */
    MANAGE_CGROUPS_MODE("manage-cgroups-mode", Kind.CHOICE, "manage-cgroups", "soft", "full", "strict", "ignore"),
    /** {@code --lazy-pages}: memory is served after the process runs, by a {@code criu lazy-pages} daemon. */
    LAZY_PAGES("lazy-pages", Kind.FLAG, "lazy-pages"),
    /** {@code --auto-dedup}: punch out image pages as they are restored (frees a tmpfs staging on the way). */
    AUTO_DEDUP("auto-dedup", Kind.FLAG, "auto-dedup"),
    /**
     * {@code --tls-key}: the private key (page-server TLS, and the key that decrypts {@code cipher.img}
     * on CRIU builds with image encryption). A secret: only from the operator's config.
     */
    TLS_KEY("tls-key", Kind.KEY_FILE, "tls-key"),
    /** {@code --tls-cert}: a certificate (public), under an allowed key directory. */
    TLS_CERT("tls-cert", Kind.FILE, "tls-cert"),
    /** {@code --tls-cacert}: a CA certificate (public), under an allowed key directory. */
    TLS_CACERT("tls-cacert", Kind.FILE, "tls-cacert");

    /** What values an option takes. */
    public enum Kind {
        /** true or false; true writes the bare option, false writes nothing. */
        FLAG,
        /** One of a fixed set of words. */
        CHOICE,
        /** An absolute path of a file that is not secret, under an allowed key directory. */
        FILE,
        /** An absolute path of a secret file, under an allowed key directory, from the operator only. */
        KEY_FILE
    }

    private final String key;
    private final Kind kind;
    private final String criuName;
    private final List<String> choices;

    CriuOption(String key, Kind kind, String criuName, String... choices) {
        this.key = key;
        this.kind = kind;
        this.criuName = criuName;
        this.choices = List.of(choices);
    }

    /** The option's name in config, annotations and metadata, e.g. {@code tcp-established}. */
    public String key() {
        return key;
    }

    /** What values it takes. */
    public Kind kind() {
        return kind;
    }

    /** The option's name in CRIU's config file (its long option without the dashes). */
    public String criuName() {
        return criuName;
    }

    /** The accepted words of a {@link Kind#CHOICE} option; empty otherwise. */
    public List<String> choices() {
        return choices;
    }

    /** Whether the value is a path to a file (certificate or key). */
    public boolean isFile() {
        return kind == Kind.FILE || kind == Kind.KEY_FILE;
    }

    /** The option called {@code key}, if any. */
    public static Optional<CriuOption> byKey(String key) {
        for (CriuOption o : values()) {
            if (o.key.equals(key)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /** Every option's key, in declaration order, for error messages. */
    public static List<String> keys() {
        return java.util.Arrays.stream(values()).map(CriuOption::key).toList();
    }

    /**
     * The normalized value of {@code raw} for this option: "true"/"false" for flags, the word for
     * choices, a normalized absolute path for files.
     *
     * @param where how the error names the input, e.g. {@code annotation "restore-shim.dev/criu-file-locks"}
     * @throws CriuException INVALID_OPTION naming {@code where}, the value and what is accepted
     */
    public String normalize(String raw, String where) {
        String v = raw == null ? "" : raw.strip();
        return switch (kind) {
            case FLAG -> switch (v.toLowerCase(Locale.ROOT)) {
                case "true" -> "true";
                case "false" -> "false";
                default -> throw invalid(where, raw, "must be true or false");
            };
            case CHOICE -> {
                if (!choices.contains(v)) {
                    throw invalid(where, raw, "must be one of " + String.join(", ", choices));
                }
                yield v;
            }
            case FILE, KEY_FILE -> path(v, where, raw);
        };
    }

    private String path(String v, String where, String raw) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c) || c == '"' || c == '\'' || c == '#' || c == '\\') {
                throw invalid(where, raw, "must be a path without spaces, quotes, '#' or backslashes");
            }
        }
        if (v.isEmpty() || !v.startsWith("/")) {
            throw invalid(where, raw, "must be an absolute path");
        }
        return Path.of(v).normalize().toString();
    }

    private CriuException invalid(String where, String raw, String rule) {
        return new CriuException(CriuException.Reason.INVALID_OPTION,
                where + ": CRIU option " + key + " " + rule + ", got \"" + raw + "\"");
    }
}
