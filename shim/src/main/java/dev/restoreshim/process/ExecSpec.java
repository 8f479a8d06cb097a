package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import java.util.regex.Pattern;

/**
 * A validated exec request.
 *
 * @param execId the exec id, unique within the container
 * @param stdio the exec's stdio and terminal flag
 * @param processJson the OCI process spec (JSON) to run
 */
public record ExecSpec(String execId, Stdio stdio, byte[] processJson) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,75}");

    public ExecSpec {
        if (execId == null || !NAME.matcher(execId).matches()) {
            throw ShimException.invalidArgument("exec: id: must match " + NAME.pattern() + ", got \"" + execId + "\"");
        }
        stdio = stdio == null ? Stdio.none() : stdio;
        if (processJson == null || processJson.length == 0) {
            throw ShimException.invalidArgument("exec \"" + execId + "\": process spec: must not be empty");
        }
        processJson = processJson.clone();
    }

    @Override
    public byte[] processJson() {
        return processJson.clone();
    }
}
