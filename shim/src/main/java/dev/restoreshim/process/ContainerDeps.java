package dev.restoreshim.process;

import dev.restoreshim.runc.Runc;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link Container} needs from outside: runc (per namespace; the container points its log
 * at {@code <bundle>/log.json}), the system call interfaces, and where to report starts and exits.
 *
 * @param runc runc for the container's namespace
 * @param mounts mount(2)
 * @param fds raw fds
 * @param reaper exit observation (shared by the daemon)
 * @param signals signals for exec'd processes
 * @param listener start and exit reports
 * @param consoleTimeout how long to wait for runc to send a pty master
 */
public record ContainerDeps(Runc runc, Mounts mounts, Fds fds, Reaper reaper, Signals signals, ExitListener listener,
        Duration consoleTimeout) {
    public ContainerDeps {
        Objects.requireNonNull(runc, "runc");
        Objects.requireNonNull(mounts, "mounts");
        Objects.requireNonNull(fds, "fds");
        Objects.requireNonNull(reaper, "reaper");
        Objects.requireNonNull(signals, "signals");
        Objects.requireNonNull(listener, "listener");
        consoleTimeout = consoleTimeout == null ? Duration.ofSeconds(10) : consoleTimeout;
    }

    /** The same dependencies reporting to another listener. */
    public ContainerDeps withListener(ExitListener other) {
        return new ContainerDeps(runc, mounts, fds, reaper, signals, other, consoleTimeout);
    }
}
