package dev.restoreshim.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    @Test
    void parse_valuesOfEveryKind() {
        Object v = JsonText.parse(" {\"a\": [1, -2.5e1, true, false, null, \"x\\\"\\u00e9\\n\"], \"b\": {}} ");
        assertEquals(Map.of("a", java.util.Arrays.asList(1L, -25.0, true, false, null, "x\"é\n"), "b", Map.of()), v);
        assertEquals("x\"é\n", JsonText.strings(v, "a").getFirst());
        assertEquals(List.of(), JsonText.strings(v, "missing"));
        assertEquals("", JsonText.string(v, "b", "c"));
    }

    @Test
    void parse_rejectsMalformedAndDeep() {
        assertThrows(IllegalArgumentException.class, () -> JsonText.parse("{\"a\":}"));
        assertThrows(IllegalArgumentException.class, () -> JsonText.parse("[1,]"));
        assertThrows(IllegalArgumentException.class, () -> JsonText.parse("\"open"));
        assertThrows(IllegalArgumentException.class, () -> JsonText.parse("{} x"));
        assertThrows(IllegalArgumentException.class, () -> JsonText.parse("[".repeat(100) + "]".repeat(100)));
    }
}
