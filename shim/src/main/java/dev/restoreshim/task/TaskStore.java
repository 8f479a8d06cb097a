package dev.restoreshim.task;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Per-task state files under {@code <daemon dir>/tasks/<namespace>/<id>.json}. Each write goes to a
 * temporary file first and is renamed into place, so a crash never leaves a half-written record.
 */
public final class TaskStore {
    private static final Logger log = LoggerFactory.getLogger(TaskStore.class);
    private static final JsonMapper JSON = JsonMapper.builder().findAndAddModules().build();

    private final Path root;

    public TaskStore(Path daemonDir) {
        this.root = daemonDir.resolve("tasks");
    }

    /** Where the record of {@code key} lives. */
    public Path pathOf(TaskKey key) {
        return root.resolve(key.namespace()).resolve(key.id() + ".json");
    }

    public void save(TaskRecord record) {
        Path target = pathOf(record.key());
        try {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(record));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw ShimException.internal("save task state " + target + ": " + e.getMessage(), e);
        }
    }

    public void remove(TaskKey key) {
        Path p = pathOf(key);
        try {
            Files.deleteIfExists(p);
            Files.deleteIfExists(p.resolveSibling(p.getFileName() + ".tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException("remove task state " + p, e);
        }
    }

    /** Every readable record; unreadable files are logged and skipped, never fatal. */
    public List<TaskRecord> loadAll() {
        List<TaskRecord> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> namespaces = Files.newDirectoryStream(root)) {
            for (Path ns : namespaces) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(ns, "*.json")) {
                    for (Path f : files) {
                        try {
                            out.add(JSON.readValue(f.toFile(), TaskRecord.class));
                        } catch (RuntimeException e) {
                            log.warn("event=state_unreadable file={} reason={}", f, e.getMessage());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("list task state in " + root, e);
        }
        return out;
    }
}
