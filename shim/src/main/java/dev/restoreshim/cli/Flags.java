package dev.restoreshim.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed command line in the style of Go's flag package, which containerd uses for shims:
 * {@code -name value}, {@code --name value}, {@code -name=value}, and bare boolean flags. Anything
 * not starting with '-' is positional; {@code --} ends the flags.
 *
 * @param values valued flags by name (without dashes)
 * @param switches boolean flags that were given
 * @param positional the rest, in order
 */
record Flags(Map<String, String> values, Set<String> switches, List<String> positional) {

    /**
     * Parses {@code args}.
     *
     * @param valued names of flags that take a value
     * @param booleans names of flags that take none
     * @throws UsageException on an unknown flag or a missing value
     */
    static Flags parse(List<String> args, Set<String> valued, Set<String> booleans) {
        Map<String, String> values = new HashMap<>();
        Set<String> switches = new HashSet<>();
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                positional.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                positional.add(arg);
                continue;
            }
            String name = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (booleans.contains(name) && inline == null) {
                switches.add(name);
            } else if (valued.contains(name)) {
                if (inline == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("flag -" + name + " needs a value");
                    }
                    inline = args.get(++i);
                }
                values.put(name, inline);
            } else {
                throw new UsageException("unknown flag " + arg);
            }
        }
        return new Flags(Map.copyOf(values), Set.copyOf(switches), List.copyOf(positional));
    }

    /** The value of a flag, or null. */
    String value(String name) {
        return values.get(name);
    }

    /** The value of a flag that must be given. */
    String required(String name) {
        String v = values.get(name);
        if (v == null || v.isEmpty()) {
            throw new UsageException("flag -" + name + " is required");
        }
        return v;
    }

    boolean has(String name) {
        return switches.contains(name);
    }
}
