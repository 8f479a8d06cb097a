package dev.restoreshim.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/** {@link CgroupFiles} on the real filesystem below {@code root}. */
record RootedCgroupFiles(Path root) implements CgroupFiles {

    RootedCgroupFiles {
        Objects.requireNonNull(root, "root");
    }

    @Override
    public Optional<String> read(String path) {
        try {
            return Optional.of(Files.readString(resolve(path)));
        } catch (IOException | RuntimeException e) {
            // NoSuchFile, ESRCH on a dead /proc entry, ENODEV/EOPNOTSUPP on disabled kmem files
            return Optional.empty();
        }
    }

    @Override
    public List<String> list(String dir) {
        try (Stream<Path> entries = Files.list(resolve(dir))) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private Path resolve(String path) {
        String relative = path.startsWith("/") ? path.substring(1) : path;
        return relative.isEmpty() ? root : root.resolve(relative);
    }
}
