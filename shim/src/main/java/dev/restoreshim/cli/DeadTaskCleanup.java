package dev.restoreshim.cli;

import com.google.protobuf.Timestamp;
import dev.restoreshim.config.DaemonLayout;
import dev.restoreshim.config.ShimConfig;
import dev.restoreshim.proto.task.DeleteResponse;
import dev.restoreshim.restore.RestoreImageLayer;
import dev.restoreshim.task.LazyPagesOrphan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * What {@code delete} does for a task whose daemon is gone (containerd calls it after the
 * connection drops, or at its own restart): force-delete the container in the OCI runtime, kill a
 * {@code criu lazy-pages} daemon of its restore that still runs, detach {@code <bundle>/rootfs},
 * a restore image's read-only images mount ({@code <bundle>/}{@value RestoreImageLayer#IMAGES_MOUNT})
 * and the restore's mounts in the daemon directory ({@code restore/<ns>/<id>}: its CRIU images,
 * tmpfs or EROFS; {@code restore/<ns>/<id>.delta}) if still mounted, and remove those directories,
 * the restore's scratch directories ({@code <cache_dir>/scratch/<ns>-<id>-*}) and the daemon's
 * per-task state file; then answer with exit status 137 (SIGKILL), the way containerd's runc shim
 * does. Each step is best effort: a failure is reported through {@code warn} and the next step
 * still runs, because containerd only needs the answer.
 */
final class DeadTaskCleanup {
    /** The exit status reported for a task whose daemon died: 128 + SIGKILL. */
    static final int KILLED_STATUS = 137;

    private final ShimConfig config;
    private final DaemonLayout daemon;
    private final CommandRunner runner;
    private final MountTableSource mounts;
    private final Unmounter unmounter;
    private final Clock clock;
    private final Consumer<String> warn;

    /** Reads the current mount table; a fake returns a fixed one in tests. */
    @FunctionalInterface
    interface MountTableSource {
        MountTable read() throws IOException;
    }

    DeadTaskCleanup(ShimConfig config, DaemonLayout daemon, CommandRunner runner, MountTableSource mounts,
            Unmounter unmounter, Clock clock, Consumer<String> warn) {
        this.config = config;
        this.daemon = daemon;
        this.runner = runner;
        this.mounts = mounts;
        this.unmounter = unmounter;
        this.clock = clock;
        this.warn = warn;
    }

    /** Cleans up and returns the answer for containerd. */
    DeleteResponse clean(String namespace, String id, Path bundle) {
        deleteContainer(namespace, id);
        stopLazyPages(namespace, id, bundle.resolve("criu-work"));
        unmount(namespace, id, bundle.resolve("rootfs"));
        unmount(namespace, id, bundle.resolve(RestoreImageLayer.IMAGES_MOUNT));
        removeRestoreMounts(namespace, id);
        removeScratch(namespace, id);
        removeStateFile(namespace, id);
        Instant now = clock.instant();
        return DeleteResponse.newBuilder()
                .setPid(initPid(bundle))
                .setExitStatus(KILLED_STATUS)
                .setExitedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build();
    }

    /** The argv of the runtime's force delete, {@code runc --root <runtime_root>/<ns> delete --force <id>}. */
    List<String> runtimeDeleteArgv(String namespace, String id) {
        return List.of(config.runtime(), "--root", config.runtimeRootFor(namespace).toString(), "delete", "--force", id);
    }

    private void deleteContainer(String namespace, String id) {
        List<String> argv = runtimeDeleteArgv(namespace, id);
        try {
            CommandResult r = runner.run(argv);
            if (r.exitCode() != 0 && !r.output().contains("does not exist") && !r.output().contains("not found")) {
                warn.accept("step=runtime-delete ns=" + namespace + " id=" + id + " error=\"" + r.lastLine() + "\"");
            }
        } catch (IOException e) {
            warn.accept("step=runtime-delete ns=" + namespace + " id=" + id + " error=\"" + e.getMessage() + "\"");
        }
    }

    private void stopLazyPages(String namespace, String id, Path work) {
        try {
            LazyPagesOrphan.kill(work, Duration.ofSeconds(2)).ifPresent(pid ->
                    warn.accept("step=lazy-pages ns=" + namespace + " id=" + id + " killed criu lazy-pages pid=" + pid));
        } catch (IOException e) {
            warn.accept("step=lazy-pages ns=" + namespace + " id=" + id + " error=\"" + e.getMessage() + "\"");
        }
    }

    private void unmount(String namespace, String id, Path target) {
        try {
            if (mounts.read().isMountPoint(target)) {
                unmounter.unmount(target);
            }
        } catch (IOException e) {
            warn.accept("step=unmount ns=" + namespace + " id=" + id + " path=" + target + " error=\"" + e.getMessage() + "\"");
        }
    }

    /** {@code restore/<ns>/<id>} and {@code restore/<ns>/<id>.delta}: detached if mounted, then removed when empty. */
    private void removeRestoreMounts(String namespace, String id) {
        Path images;
        try {
            images = daemon.restoreMount(namespace, id);
        } catch (IllegalArgumentException e) {
            return; // not an identifier: reported by removeStateFile
        }
        for (Path at : List.of(images, images.resolveSibling(id + ".delta"))) {
            unmount(namespace, id, at);
            try {
                Files.deleteIfExists(at);
            } catch (IOException e) {
                warn.accept("step=restore-dir ns=" + namespace + " id=" + id + " path=" + at + " error=\"" + e + "\"");
            }
        }
    }

    /** The restore's scratch upper and work dirs, {@code <cache_dir>/scratch/<ns>-<id>-<hex>}. */
    private void removeScratch(String namespace, String id) {
        Path root = config.restore().cacheDir().resolve("scratch");
        if (!Files.isDirectory(root)) {
            return;
        }
        String prefix = namespace + "-" + id + "-";
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().substring(prefix.length()).matches("[0-9a-f]+")).toList()) {
                removeTree(d);
            }
        } catch (IOException | UncheckedIOException e) {
            warn.accept("step=scratch ns=" + namespace + " id=" + id + " dir=" + root + " error=\"" + e.getMessage() + "\"");
        }
    }

    private static void removeTree(Path dir) throws IOException {
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void removeStateFile(String namespace, String id) {
        Path file;
        try {
            file = daemon.taskStateFile(namespace, id);
        } catch (IllegalArgumentException e) {
            warn.accept("step=state-file ns=" + namespace + " id=" + id + " error=\"" + e.getMessage() + "\"");
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            warn.accept("step=state-file path=" + file + " error=\"" + e + "\"");
        }
    }

    /** The pid in {@code <bundle>/init.pid}, or 0 when absent or unreadable. */
    private int initPid(Path bundle) {
        Path file = bundle.resolve("init.pid");
        try {
            return Integer.parseInt(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            warn.accept("step=init-pid path=" + file + " error=\"" + e + "\"");
            return 0;
        }
    }
}
