package dev.restoreshim.sys;

import java.util.concurrent.CompletableFuture;

/**
 * Observes process exits. The one implementation, {@link PidfdReaper}, reaps children by pidfd,
 * never by {@code waitpid(-1)}, so it coexists with the JDK's own per-pid reaping of
 * {@code ProcessBuilder} children.
 */
public interface Reaper extends AutoCloseable {
    /**
     * The exit of {@code pid}. Call it right after spawning (or after reading a pid file): an
     * unreaped child stays a zombie until the reaper collects it, so no exit is missed. A pid that
     * no longer exists at all completes at once with {@link ExitStatus#unknown}. Watching the same
     * pid twice returns the same future. Futures complete off the reaper's thread.
     */
    CompletableFuture<ExitStatus> watch(int pid);

    /** Stops watching; pending futures fail with {@link IllegalStateException}. */
    @Override
    void close();
}
