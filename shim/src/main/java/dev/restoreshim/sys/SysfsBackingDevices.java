package dev.restoreshim.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** {@link BackingDevices} read and written through sysfs under {@code root} ({@code /sys/class/bdi}). */
public final class SysfsBackingDevices implements BackingDevices {
    private final Path root;

    public SysfsBackingDevices(Path root) {
        this.root = root;
    }

    @Override
    public Set<String> names(String prefix) {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix))
                    .collect(Collectors.toUnmodifiableSet());
        } catch (IOException e) {
            return Set.of();
        }
    }

    @Override
    public void setReadAheadKb(String name, int kb) throws IOException {
        Files.writeString(root.resolve(name).resolve("read_ahead_kb"), Integer.toString(kb));
    }
}
