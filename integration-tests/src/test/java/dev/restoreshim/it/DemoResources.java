package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * What a demo or benchmark run has started (Podman service, registry, containerd, daemon,
 * archives), closed newest first by the main thread or the shutdown hook, whichever comes first.
 */
final class DemoResources {
    private final String who;
    private final String cleanupLine;
    private final Path pidFile;
    private final BooleanSupplier stopping;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}: what is running, in start order. */
    private final List<AutoCloseable> started = new ArrayList<>();

    /**
     * @param who         prefix of error lines ("demo", "bench")
     * @param cleanupLine printed once when there is something to close
     * @param pidFile     removed after the last resource is closed
     * @param stopping    true once the run is being stopped: later resources are closed at once
     */
    DemoResources(String who, String cleanupLine, Path pidFile, BooleanSupplier stopping) {
        this.who = who;
        this.cleanupLine = cleanupLine;
        this.pidFile = pidFile;
        this.stopping = stopping;
    }

    /** Registers {@code resource}; when the run is stopping, closes it and throws instead. */
    <T extends AutoCloseable> T own(T resource) {
        synchronized (lock) {
            if (stopping.getAsBoolean()) {
                closeQuietly(resource);
                throw new IllegalStateException("stopping");
            }
            started.add(resource);
        }
        return resource;
    }

    /** Closes everything started, newest first; idempotent, safe from the shutdown hook. */
    void closeAll() {
        synchronized (lock) {
            if (!started.isEmpty()) {
                System.out.println(cleanupLine);
            }
            for (AutoCloseable c : started.reversed()) {
                closeQuietly(c);
            }
            started.clear();
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // target/ goes with mvn clean
            }
        }
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            System.err.println(who + ": cleanup step failed: " + e.getMessage());
        }
    }
}
