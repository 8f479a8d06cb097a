package dev.restoreshim.criu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The operator's CRIU policy of one handler (the {@code [criu]} table of its config): default
 * options, which options pods (annotations) and restore images (metadata) may set, and the
 * directories key and certificate files must lie in. {@link #merge} applies the sources in order
 * (operator, annotations, image metadata; later wins) and refuses what is not allowed.
 *
 * @param defaults options every restore gets unless an allowed source overrides them
 * @param allowed options annotations and restore image metadata may set; never a key file
 * @param keyDirs absolute directories that file options must lie in (after resolving symlinks)
 */
public record CriuPolicy(CriuOptions defaults, Set<CriuOption> allowed, List<Path> keyDirs) {
    /** Prefix of the pod annotations that set CRIU options: {@code restore-shim.dev/criu-<option>}. */
    public static final String ANNOTATION_PREFIX = "restore-shim.dev/criu-";

    public CriuPolicy {
        allowed = Collections.unmodifiableSet(allowed.isEmpty() ? EnumSet.noneOf(CriuOption.class) : EnumSet.copyOf(allowed));
        keyDirs = List.copyOf(keyDirs);
        for (CriuOption o : allowed) {
            if (o.kind() == CriuOption.Kind.KEY_FILE) {
                throw new CriuException(CriuException.Reason.INVALID_OPTION, "config [criu] allow: " + o.key()
                        + " is a key file and can only be set by the operator ([criu.defaults]), never by a pod or image");
            }
        }
        for (Path d : keyDirs) {
            if (!d.isAbsolute()) {
                throw new CriuException(CriuException.Reason.INVALID_OPTION,
                        "config [criu] key_dirs: must be absolute paths, got \"" + d + "\"");
            }
        }
        for (var e : defaults.values().entrySet()) {
            if (e.getKey().isFile()) {
                requireUnderKeyDir(e.getKey(), e.getValue(), "config [criu.defaults] " + e.getKey().key(), keyDirs);
            }
        }
    }

    /** No defaults, nothing allowed, no key directories: what a config without {@code [criu]} means. */
    public static CriuPolicy closed() {
        return new CriuPolicy(CriuOptions.none(), Set.of(), List.of());
    }

    /**
     * The policy from raw config values.
     *
     * @param defaults option name to value ({@code [criu.defaults]}); booleans as "true"/"false"
     * @param allowed option names pods and images may set ({@code [criu] allow})
     * @param keyDirs {@code [criu] key_dirs}
     * @throws CriuException INVALID_OPTION naming the key and the reason
     */
    public static CriuPolicy of(Map<String, String> defaults, Collection<String> allowed, Collection<Path> keyDirs) {
        CriuOptions d = CriuOptions.none();
        for (var e : new TreeMap<>(defaults).entrySet()) {
            String where = "config [criu.defaults] " + e.getKey();
            CriuOption o = CriuOption.byKey(e.getKey()).orElseThrow(() -> new CriuException(
                    CriuException.Reason.INVALID_OPTION, where + ": unknown CRIU option (known: " + known() + ")"));
            d = d.with(o, o.normalize(e.getValue(), where), CriuOptionSource.OPERATOR);
        }
        Set<CriuOption> a = EnumSet.noneOf(CriuOption.class);
        for (String name : allowed) {
            a.add(CriuOption.byKey(name).orElseThrow(() -> new CriuException(CriuException.Reason.INVALID_OPTION,
                    "config [criu] allow: \"" + name + "\": unknown CRIU option (known: " + known() + ")")));
        }
        return new CriuPolicy(d, a, List.copyOf(keyDirs));
    }

    /**
     * The options of one restore: the defaults, overridden by the annotations named
     * {@value #ANNOTATION_PREFIX}{@code <option>} (other annotations are ignored), overridden by
     * the restore image's metadata (option name to value).
     *
     * @throws CriuException INVALID_OPTION naming the annotation (or metadata key) and the
     *     allow-list, for an unknown or not allowed option, a key file, or a bad value
     */
    public CriuOptions merge(Map<String, String> annotations, Map<String, String> imageMetadata) {
        CriuOptions merged = defaults;
        for (var e : new TreeMap<>(annotations).entrySet()) {
            if (e.getKey().startsWith(ANNOTATION_PREFIX)) {
                merged = apply(merged, e.getKey().substring(ANNOTATION_PREFIX.length()), e.getValue(),
                        CriuOptionSource.ANNOTATION, "annotation \"" + e.getKey() + "\"");
            }
        }
        for (var e : new TreeMap<>(imageMetadata).entrySet()) {
            merged = apply(merged, e.getKey(), e.getValue(), CriuOptionSource.IMAGE,
                    "restore image metadata \"" + e.getKey() + "\"");
        }
        return merged;
    }

    private CriuOptions apply(CriuOptions merged, String name, String raw, CriuOptionSource source, String where) {
        CriuOption o = CriuOption.byKey(name).orElseThrow(() -> new CriuException(CriuException.Reason.INVALID_OPTION,
                where + ": unknown CRIU option \"" + name + "\" (known: " + known() + "; allowed on this handler: "
                        + allowedList() + ")"));
        if (o.kind() == CriuOption.Kind.KEY_FILE) {
            throw new CriuException(CriuException.Reason.INVALID_OPTION, where + ": " + o.key()
                    + " is a key file and is only taken from the operator's config ([criu.defaults]), never from"
                    + " pod annotations or restore image metadata");
        }
        if (!allowed.contains(o)) {
            throw new CriuException(CriuException.Reason.INVALID_OPTION, where + ": CRIU option " + o.key()
                    + " is not allowed on this handler (allowed: " + allowedList() + "; the operator sets [criu] allow)");
        }
        String value = o.normalize(raw, where);
        if (o.isFile()) {
            requireUnderKeyDir(o, value, where, keyDirs);
        }
        return merged.with(o, value, source);
    }

    /**
     * Checks every file option of {@code options} before anything is mounted: the file exists, is
     * a regular file, is readable, and its real path (symlinks resolved) lies under a real key
     * directory. Nothing is read from the file.
     *
     * @throws CriuException KEY_UNAVAILABLE naming the option, the path and the reason
     */
    public void checkFiles(CriuOptions options) {
        for (CriuOption o : options.values().keySet()) {
            if (!o.isFile()) {
                continue;
            }
            Path p = options.file(o).orElseThrow();
            String what = "CRIU option " + o.key() + " (from " + options.sources().get(o).label() + "): " + p;
            if (!Files.isRegularFile(p)) {
                throw new CriuException(CriuException.Reason.KEY_UNAVAILABLE, what + ": no such regular file");
            }
            if (!Files.isReadable(p)) {
                throw new CriuException(CriuException.Reason.KEY_UNAVAILABLE, what + ": not readable by the daemon");
            }
            Path real;
            try {
                real = p.toRealPath();
            } catch (IOException e) {
                throw new CriuException(CriuException.Reason.KEY_UNAVAILABLE, what + ": cannot resolve: " + e.getMessage());
            }
            if (keyDirs.stream().noneMatch(d -> underReal(real, d))) {
                throw new CriuException(CriuException.Reason.KEY_UNAVAILABLE, what + ": resolves to " + real
                        + ", outside the key directories " + keyDirs + " ([criu] key_dirs)");
            }
        }
    }

    /** The allow-list as text, "none" when empty. */
    public String allowedList() {
        if (allowed.isEmpty()) {
            return "none";
        }
        List<String> names = new ArrayList<>();
        allowed.forEach(o -> names.add(o.key()));
        return String.join(", ", names);
    }

    private static boolean underReal(Path real, Path dir) {
        try {
            return real.startsWith(dir.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    private static void requireUnderKeyDir(CriuOption o, String value, String where, List<Path> keyDirs) {
        Path p = Path.of(value);
        if (keyDirs.stream().noneMatch(d -> p.startsWith(d.normalize()))) {
            throw new CriuException(CriuException.Reason.INVALID_OPTION, where + ": " + o.key() + " \"" + value
                    + "\" is not under a key directory ([criu] key_dirs: "
                    + (keyDirs.isEmpty() ? "none" : keyDirs.toString()) + ")");
        }
    }

    private static String known() {
        return String.join(", ", CriuOption.keys());
    }
}
