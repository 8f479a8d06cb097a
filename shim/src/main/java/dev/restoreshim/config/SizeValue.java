package dev.restoreshim.config;

import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as written in the config: {@code 1048576}, {@code 512K}, {@code 512M}, {@code 2G}, {@code 1Ti}, binary units. */
final class SizeValue {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*([kmgt]?)(i?b?)");

    private SizeValue() {
    }

    /** The size in bytes, or empty when the text is not a size or overflows a long. */
    static OptionalLong parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (shift == 0 && !m.group(3).isEmpty() && !m.group(3).equals("b")) {
            return OptionalLong.empty();
        }
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(n << shift);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
