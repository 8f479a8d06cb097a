package dev.restoreshim.cli;

import java.util.List;
import java.util.Map;

/**
 * A minimal pretty JSON writer for {@code inspect --json}: {@code inspect} must start fast, and
 * initializing a full JSON mapper costs more than the whole header scan. Values are
 * {@code Map<String,?>} (written in iteration order), {@code List<?>}, {@code String},
 * {@code Number}, {@code Boolean} and null. Layout: two-space indent, {@code "key" : value}.
 */
final class JsonOut {
    private final StringBuilder b = new StringBuilder();

    private JsonOut() {
    }

    /** The value as indented JSON text with a final newline. */
    static String write(Object value) {
        JsonOut out = new JsonOut();
        out.value(value, 0);
        return out.b.append('\n').toString();
    }

    private void value(Object v, int depth) {
        switch (v) {
            case null -> b.append("null");
            case String s -> string(s);
            case Number n -> b.append(n);
            case Boolean x -> b.append(x);
            case Map<?, ?> m -> object(m, depth);
            case List<?> l -> array(l, depth);
            default -> throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    private void object(Map<?, ?> m, int depth) {
        if (m.isEmpty()) {
            b.append("{ }");
            return;
        }
        b.append('{');
        String sep = "\n";
        for (Map.Entry<?, ?> e : m.entrySet()) {
            b.append(sep);
            indent(depth + 1);
            string(String.valueOf(e.getKey()));
            b.append(" : ");
            value(e.getValue(), depth + 1);
            sep = ",\n";
        }
        b.append('\n');
        indent(depth);
        b.append('}');
    }

    private void array(List<?> l, int depth) {
        if (l.isEmpty()) {
            b.append("[ ]");
            return;
        }
        b.append('[');
        String sep = "\n";
        for (Object o : l) {
            b.append(sep);
            indent(depth + 1);
            value(o, depth + 1);
            sep = ",\n";
        }
        b.append('\n');
        indent(depth);
        b.append(']');
    }

    private void indent(int depth) {
        b.append("  ".repeat(depth));
    }

    private void string(String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append("\\u").append(String.format("%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
