package dev.restoreshim.overlay;

import java.util.List;
import java.util.Objects;

/**
 * A rootfs mount as containerd sends it: {@code overlay overlay [index=off, workdir=.., upperdir=..,
 * lowerdir=a:b:c]} from the overlay snapshotter, or {@code bind /snapshot/fs [rbind, ro|rw]} for an
 * image with a single layer (or none).
 *
 * @param type the filesystem type ({@code overlay}, {@code bind}, or {@code none} with a bind option)
 * @param source the source
 * @param options containerd's options, in order
 */
public record RootfsMount(String type, String source, List<String> options) {
    public RootfsMount {
        type = Objects.requireNonNullElse(type, "");
        source = Objects.requireNonNullElse(source, "");
        options = List.copyOf(Objects.requireNonNullElse(options, List.of()));
    }

    /** True for a bind mount, whatever the type says. */
    public boolean isBind() {
        return type.equals("bind") || options.contains("bind") || options.contains("rbind");
    }
}
