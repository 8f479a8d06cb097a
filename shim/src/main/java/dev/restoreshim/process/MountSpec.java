package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import java.util.List;

/**
 * One rootfs mount as containerd sends it ({@code containerd.types.Mount}): for example
 * {@code overlay overlay [lowerdir=...,upperdir=...,workdir=...]} or {@code bind /src [rbind,ro]}.
 *
 * @param type the filesystem type ({@code bind} mounts may say {@code bind} or {@code none})
 * @param source the source
 * @param target a path inside the rootfs, usually empty (the rootfs itself)
 * @param options mount options in containerd's vocabulary
 */
public record MountSpec(String type, String source, String target, List<String> options) {
    public MountSpec {
        type = type == null ? "" : type;
        source = source == null ? "" : source;
        target = target == null ? "" : target;
        options = List.copyOf(options == null ? List.of() : options);
        if (type.isEmpty() && !options.contains("bind") && !options.contains("rbind")) {
            throw ShimException.invalidArgument("rootfs mount: type must not be empty (source \"" + source + "\")");
        }
        if (target.contains("..")) {
            throw ShimException.invalidArgument("rootfs mount: target must stay inside the rootfs: \"" + target + "\"");
        }
    }
}
