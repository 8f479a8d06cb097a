package dev.restoreshim.process;

/**
 * A process's stdio as containerd names it: fifo paths (any may be empty) and whether a pty is
 * used (then stdout carries both streams and stderr is normally empty).
 */
public record Stdio(String stdin, String stdout, String stderr, boolean terminal) {
    public Stdio {
        stdin = stdin == null ? "" : stdin;
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }

    /** No stdio at all. */
    public static Stdio none() {
        return new Stdio("", "", "", false);
    }
}
