package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out), new PrintStream(err));
    }

    @Test
    void noArguments_printsUsage() {
        assertEquals(Main.EXIT_USAGE, run());
        assertTrue(err.toString().startsWith("usage: restore-shim"));
    }

    @Test
    void unknownCommand_isOneLineUsageError() {
        assertEquals(Main.EXIT_USAGE, run("frobnicate"));
        assertEquals("restore-shim frobnicate: unknown command \"frobnicate\" (try: restore-shim help)\n", err.toString());
    }

    @Test
    void badFlag_isOneLineUsageError() {
        assertEquals(Main.EXIT_USAGE, run("status", "--bogus"));
        assertEquals("restore-shim status: unknown flag --bogus\n", err.toString());
    }

    @Test
    void version_printsVersionAndJava() {
        assertEquals(Main.EXIT_OK, run("version"));
        assertTrue(out.toString().startsWith("restore-shim "), out.toString());
        assertTrue(out.toString().contains("\njava 25"), out.toString());
    }

    @Test
    void help_listsCommands() {
        assertEquals(Main.EXIT_OK, run("help"));
        for (String c : new String[] {"daemon", "status", "version"}) {
            assertTrue(out.toString().contains("\n  " + c + " "), c);
        }
    }

    @Test
    void statusWithoutDaemons_failsWithOneLine() {
        assertEquals(Main.EXIT_FAILURE, run("status", "--dir", "/nonexistent/d/x"));
        assertTrue(out.toString().contains("UNREACHABLE"), out.toString());
    }
}
