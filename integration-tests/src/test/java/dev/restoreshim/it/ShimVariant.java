package dev.restoreshim.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A restore-shim side of the restore benchmark with its own {@code [restore]} settings: a CRI
 * handler {@code criName} whose {@code runtime_path} is a two-line wrapper that points the
 * installed launcher at this variant's config ({@code RESTORE_SHIM_CONFIG}; the launcher reads
 * no other), so it gets a node daemon of its own (own state dir, runc root and delta cache under
 * {@code <instance>/shim-<criName>}).
 *
 * @param criName the CRI runtime handler name
 * @param label the column label
 * @param restoreToml extra lines of the {@code [restore]} table
 * @param criuToml {@code [criu]} tables replacing the plain {@code criu = "criu"} line (empty: none)
 */
record ShimVariant(String criName, String label, String restoreToml, String criuToml) {
    /** Images staged into tmpfs (cap raised to 3G so that 2 GiB checkpoints are measured too). */
    static final ShimVariant TMPFS = new ShimVariant("restore-tmpfs", "restore-shim tmpfs",
            "images = \"tmpfs\"\ntmpfs_size_limit = \"3G\"\n", "");
    /** EROFS in place with readahead of the page images (off by default). */
    static final ShimVariant EROFS_READAHEAD = new ShimVariant("restore-ra", "restore-shim EROFS + readahead",
            "images = \"erofs\"\nreadahead = true\n", "");
    /**
     * EROFS in place with CRIU's lazy pages on for every restore ({@code [criu.defaults]
     * lazy-pages = true}): the lazy-pages daemon serves the pages from the EROFS mount.
     */
    static final ShimVariant EROFS_LAZY = new ShimVariant("restore-lazy", "restore-shim lazy",
            "images = \"erofs\"\n", """
            [criu]
            binary = "criu"

            [criu.defaults]
            lazy-pages = true
            """);

    /**
     * Restore images with CRIU's lazy pages on for every restore ({@code [criu.defaults]
     * lazy-pages = true}): the lazy-pages daemon serves the pages from the read-only images mount
     * of the checkpoint layer ({@code <bundle>/restore-images}), used by {@link RestoreImageBench}.
     */
    static final ShimVariant IMAGE_LAZY = new ShimVariant("restore-image-lazy", "restore-shim lazy", "", """
            [criu]
            binary = "criu"

            [criu.defaults]
            lazy-pages = true
            """);

    private static final Pattern STAGED = Pattern.compile("staged_bytes=(\\d+)");
    private static final Pattern SERVED = Pattern.compile(" ms=(\\d+)");

    /** Where this variant keeps its config, wrapper, state, runc root and cache. */
    Path home(Path instanceDir) {
        return instanceDir.resolve("shim-" + criName);
    }

    /** The variant's restore-shim state dir (its daemon dirs are under {@code d/}). */
    Path stateDir(Path instanceDir) {
        return home(instanceDir).resolve("state");
    }

    /**
     * Writes the config and the wrapper under {@link #home} and returns containerd's TOML for
     * the handler (appended to the instance's config.toml).
     */
    String install(Path instanceDir, Path launcher) {
        Path home = home(instanceDir);
        Path config = home.resolve("config.toml");
        Path wrapper = home.resolve("containerd-shim-" + criName + "-v2");
        try {
            RunDirs.create(stateDir(instanceDir), home.resolve("runc"));
            Files.writeString(config, """
                    # restore-shim config of the benchmark variant %s
                    state_dir = "%s"
                    runtime_root = "%s"
                    protocol = "ttrpc"
                    runtime = "runc"
                    %s
                    log_level = "%s"

                    [restore]
                    cache_dir = "%s"
                    %s
                    %s""".formatted(criName, stateDir(instanceDir), home.resolve("runc"),
                    criuToml.isEmpty() ? "criu = \"criu\"" : "",
                    System.getProperty("it.shim.logLevel", "debug"), home.resolve("cache"), restoreToml,
                    criuToml));
            Files.writeString(wrapper, "#!/bin/sh\nRESTORE_SHIM_CONFIG='" + config + "' exec '" + launcher + "' \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException("bench variant " + criName + ": " + e.getMessage(), e);
        }
        String table = "plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes." + criName;
        return """

                [%1$s]
                  runtime_type = 'io.containerd.restore.v2'
                  runtime_path = '%2$s'
                  pod_annotations = ['%3$s*']
                  sandboxer = 'podsandbox'

                  [%1$s.options]
                    ConfigPath = '%4$s'
                """.formatted(table, wrapper, PrivateContainerd.ANNOTATION_PREFIX, config);
    }

    /** The daemon logs of a restore-shim state dir. */
    static List<Path> daemonLogs(Path stateDir) {
        Path daemons = stateDir.resolve("d");
        if (!Files.isDirectory(daemons)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(daemons)) {
            return dirs.map(d -> d.resolve("daemon.log")).filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The tmpfs bytes the daemon staged for container {@code id}: {@code staged_bytes} of its
     * {@code event=restored} line (0 for images read in place), or -1 when no such line is found.
     */
    static long stagedBytes(Path stateDir, String id) {
        for (Path log : daemonLogs(stateDir)) {
            try {
                for (String line : Files.readAllLines(log).reversed()) {
                    if (line.contains("event=restored ") && line.contains(" id=" + id + " ")) {
                        Matcher m = STAGED.matcher(line);
                        return m.find() ? Long.parseLong(m.group(1)) : -1;
                    }
                }
            } catch (IOException e) {
                return -1;
            }
        }
        return -1;
    }

    /**
     * For a lazy restore of container {@code id}: waits until the daemon logs that every page was
     * served ({@code event=lazy_pages_served ... ms=N}) and returns N, the daemon's serving time
     * from ready to exit; throws when it logs {@code event=lazy_pages_failed} or nothing comes
     * within {@code limit}.
     */
    static long awaitServedMs(Path stateDir, String id, java.time.Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            for (Path log : daemonLogs(stateDir)) {
                try {
                    for (String line : Files.readAllLines(log)) {
                        if (!line.contains(" id=" + id + " ")) {
                            continue;
                        }
                        if (line.contains("event=lazy_pages_failed")) {
                            throw new IllegalStateException("lazy pages of " + id + " failed: " + line.strip());
                        }
                        Matcher m = SERVED.matcher(line);
                        if (line.contains("event=lazy_pages_served") && m.find()) {
                            return Long.parseLong(m.group(1));
                        }
                    }
                } catch (IOException e) {
                    // the log is being rotated or written: read it again
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("lazy pages of " + id + ": no event=lazy_pages_served within " + limit);
            }
            Thread.sleep(50);
        }
    }

    /**
     * Stops the node daemons of a state dir (SIGTERM, then SIGKILL after 15 s) and keeps the log of
     * the last one as {@code target/it-logs/daemon-<variant home dir name>.log}.
     */
    static void stopDaemons(Path stateDir) {
        Path daemons = stateDir.resolve("d");
        if (!Files.isDirectory(daemons)) {
            return;
        }
        List<String> problems = new java.util.ArrayList<>();
        try (Stream<Path> dirs = Files.list(daemons)) {
            for (Path d : dirs.toList()) {
                Path pid = d.resolve("daemon.pid");
                if (Files.isRegularFile(pid)) {
                    ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(p -> {
                        p.destroy();
                        try {
                            p.onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (Exception e) {
                            p.destroyForcibly();
                        }
                    });
                }
            }
        } catch (IOException | NumberFormatException e) {
            System.err.println("bench: stop daemons of " + stateDir + ": " + e.getMessage());
        }
        InstanceCleanup.keepDaemonLogs(stateDir, TestEnvironment.logDir().resolve("daemon-"
                + stateDir.getParent().getFileName() + ".log"), problems);
        problems.forEach(p -> System.err.println("bench: " + p));
    }
}
