package dev.restoreshim.criu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CRIU options of one restore: normalized values (see {@link CriuOption#normalize}) and the
 * source each came from. Immutable; {@link #with} and {@link #without} return a copy. Built by
 * {@link CriuPolicy#merge}.
 *
 * @param values option to normalized value ("true"/"false" for flags)
 * @param sources option to where its value came from
 */
public record CriuOptions(Map<CriuOption, String> values, Map<CriuOption, CriuOptionSource> sources) {
    public CriuOptions {
        values = Collections.unmodifiableMap(copy(values));
        sources = Collections.unmodifiableMap(copy(sources));
        if (!values.keySet().equals(sources.keySet())) {
            throw new IllegalArgumentException("every value needs its source: " + values.keySet() + " vs " + sources.keySet());
        }
    }

    /** No options. */
    public static CriuOptions none() {
        return new CriuOptions(Map.of(), Map.of());
    }

    /** A copy with {@code option} set to {@code value} (already normalized) from {@code source}. */
    public CriuOptions with(CriuOption option, String value, CriuOptionSource source) {
        EnumMap<CriuOption, String> v = copy(values);
        EnumMap<CriuOption, CriuOptionSource> s = copy(sources);
        v.put(option, value);
        s.put(option, source);
        return new CriuOptions(v, s);
    }

    /** A copy without {@code option} (this when it is not set). */
    public CriuOptions without(CriuOption option) {
        if (!values.containsKey(option)) {
            return this;
        }
        EnumMap<CriuOption, String> v = copy(values);
        EnumMap<CriuOption, CriuOptionSource> s = copy(sources);
        v.remove(option);
        s.remove(option);
        return new CriuOptions(v, s);
    }

    /** The value of {@code option}, if set. */
    public Optional<String> value(CriuOption option) {
        return Optional.ofNullable(values.get(option));
    }

    /** Whether the flag {@code option} is set to true. */
    public boolean enabled(CriuOption option) {
        return "true".equals(values.get(option));
    }

    /** The path of the file option {@code option}, if set. */
    public Optional<Path> file(CriuOption option) {
        return option.isFile() ? value(option).map(Path::of) : Optional.empty();
    }

    /**
     * The lines of CRIU's config file for these options, in declaration order: a bare name for a
     * true flag (a false flag writes nothing), {@code name=value} otherwise. {@code name=value} is
     * the form CRIU's parser hands to getopt as one argument, which also suits options whose
     * argument is optional ({@code manage-cgroups}).
     */
    public List<String> configLines() {
        List<String> lines = new ArrayList<>();
        values.forEach((option, value) -> {
            if (option.kind() == CriuOption.Kind.FLAG) {
                if (value.equals("true")) {
                    lines.add(option.criuName());
                }
            } else {
                lines.add(option.criuName() + "=" + value);
            }
        });
        return lines;
    }

    /**
     * {@code key=value} fields for logs, e.g. {@code criu_options="file-locks,manage-cgroups-mode=soft,tls-key=(set)"}:
     * file options show only that they are set, never the path.
     */
    public String logField() {
        List<String> parts = new ArrayList<>();
        values.forEach((option, value) -> {
            if (option.isFile()) {
                parts.add(option.key() + "=(set)");
            } else if (option.kind() == CriuOption.Kind.FLAG) {
                parts.add(value.equals("true") ? option.key() : option.key() + "=false");
            } else {
                parts.add(option.key() + "=" + value);
            }
        });
        return "criu_options=\"" + String.join(",", parts) + "\"";
    }

    private static <V> EnumMap<CriuOption, V> copy(Map<CriuOption, V> m) {
        EnumMap<CriuOption, V> out = new EnumMap<>(CriuOption.class);
        out.putAll(m);
        return out;
    }
}
