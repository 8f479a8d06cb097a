package dev.restoreshim.sys;

import java.util.List;
import java.util.Objects;

/**
 * Mounts through the new mount API: fsopen(2), one fsconfig(2) per parameter, fsmount(2),
 * move_mount(2). Unlike mount(2), whose data string is limited to one page, every parameter is
 * passed on its own, so an overlay can have any number of {@code lowerdir+} layers (kernel 6.8
 * and later). Implementation: {@link LinuxFsMounts}; tests use recording fakes.
 */
public interface FsMounts {
    int MOUNT_ATTR_RDONLY = 0x1;
    int MOUNT_ATTR_NOSUID = 0x2;
    int MOUNT_ATTR_NODEV = 0x4;
    int MOUNT_ATTR_NOEXEC = 0x8;
    int MOUNT_ATTR_NOATIME = 0x10;
    int MOUNT_ATTR_STRICTATIME = 0x20;
    int MOUNT_ATTR_NODIRATIME = 0x80;

    /** One fsconfig(2) parameter. */
    sealed interface Param {
        /** The parameter name, for example {@code lowerdir+}. */
        String key();
    }

    /** A parameter without a value ({@code FSCONFIG_SET_FLAG}), for example {@code userxattr}. */
    record Flag(String key) implements Param {
        public Flag {
            Objects.requireNonNull(key, "key");
        }
    }

    /** A string parameter ({@code FSCONFIG_SET_STRING}), for example {@code upperdir=/x}. */
    record Value(String key, String value) implements Param {
        public Value {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * Creates a filesystem of {@code fstype} with {@code params} (in order), mounts it with
     * {@code attrFlags} ({@code MOUNT_ATTR_*}) and attaches it at {@code target}.
     *
     * @throws SysException naming the failing call ({@code fsopen}, {@code fsconfig},
     *     {@code fsmount}, {@code move_mount}), the target, the parameter and the kernel's own
     *     message when it gave one
     */
    void mount(String fstype, List<Param> params, int attrFlags, String target);
}
