package dev.restoreshim.sys;

/**
 * Starts child processes with an explicit fd map (what {@code ProcessBuilder} cannot do). It
 * never waits: exits are observed through the {@link Reaper}, which works because nothing here
 * reaps children by {@code waitpid(-1)}.
 */
public interface ProcessLauncher {
    /**
     * Spawns the child and returns its pid.
     *
     * @throws SysException with call {@code posix_spawn} and argv[0] when the spawn fails
     */
    int spawn(LaunchSpec spec);
}
