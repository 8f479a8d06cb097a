package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlagsTest {
    private static final Set<String> VALUED = Set.of("namespace", "id", "bundle");
    private static final Set<String> BOOLEANS = Set.of("debug");

    @Test
    void parse_goStyleForms() {
        Flags f = Flags.parse(List.of("-namespace", "k8s.io", "--id=abc", "-debug", "-bundle=/b", "delete"), VALUED, BOOLEANS);
        assertEquals("k8s.io", f.value("namespace"));
        assertEquals("abc", f.value("id"));
        assertEquals("/b", f.value("bundle"));
        assertTrue(f.has("debug"));
        assertEquals(List.of("delete"), f.positional());
    }

    @Test
    void parse_unknownFlag_isUsageError() {
        UsageException e = assertThrows(UsageException.class, () -> Flags.parse(List.of("-nope"), VALUED, BOOLEANS));
        assertEquals("unknown flag -nope", e.getMessage());
    }

    @Test
    void parse_missingValue_isUsageError() {
        assertThrows(UsageException.class, () -> Flags.parse(List.of("-id"), VALUED, BOOLEANS));
    }

    @Test
    void required_absent_isUsageError() {
        Flags f = Flags.parse(List.of(), VALUED, BOOLEANS);
        assertEquals("flag -id is required", assertThrows(UsageException.class, () -> f.required("id")).getMessage());
    }

    @Test
    void parse_doubleDash_endsFlags() {
        assertEquals(List.of("-x"), Flags.parse(List.of("--", "-x"), VALUED, BOOLEANS).positional());
    }
}
