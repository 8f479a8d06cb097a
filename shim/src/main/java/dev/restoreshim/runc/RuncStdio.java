package dev.restoreshim.runc;

import java.util.HashMap;
import java.util.Map;

/**
 * The fds runc gets as its stdin, stdout and stderr, which {@code create}, {@code exec} and
 * {@code restore} hand on to the container process. {@link #NONE} (-1) means {@code /dev/null}.
 */
public record RuncStdio(int in, int out, int err) {
    public static final int NONE = -1;

    /** Everything on /dev/null (terminal processes: the pty carries the stdio). */
    public static RuncStdio none() {
        return new RuncStdio(NONE, NONE, NONE);
    }

    /** The child-fd map for the launcher. */
    Map<Integer, Integer> fdMap() {
        Map<Integer, Integer> m = new HashMap<>();
        if (in != NONE) {
            m.put(0, in);
        }
        if (out != NONE) {
            m.put(1, out);
        }
        if (err != NONE) {
            m.put(2, err);
        }
        return m;
    }
}
