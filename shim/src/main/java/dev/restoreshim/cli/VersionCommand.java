package dev.restoreshim.cli;

import java.io.PrintStream;

/** {@code restore-shim version}: the jar's version and the JVM it runs on. */
final class VersionCommand {
    private VersionCommand() {
    }

    static int run(PrintStream out) {
        out.println("restore-shim " + version());
        out.println("java " + System.getProperty("java.runtime.version"));
        return Main.EXIT_OK;
    }

    /** Implementation-Version from the jar manifest; "dev" when running from classes. */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
