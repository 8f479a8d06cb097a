package dev.restoreshim.cli;

import java.io.IOException;
import java.util.List;

/** Runs an external command to completion; a fake records the argv in tests. */
@FunctionalInterface
interface CommandRunner {
    /** Runs {@code argv} with stdin from /dev/null and stdout and stderr captured together. */
    CommandResult run(List<String> argv) throws IOException;
}
