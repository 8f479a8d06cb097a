package dev.restoreshim.task;

import dev.restoreshim.errors.ShimException;
import java.util.regex.Pattern;

/**
 * Identifies a task across the whole node daemon: containerd ids are unique per namespace only,
 * and one daemon serves every namespace of its containerd.
 */
public record TaskKey(String namespace, String id) {
    // containerd's identifiers: alphanumerics, '.', '_', '-', at most 76 characters.
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,75}");

    public TaskKey {
        if (namespace == null || !ID.matcher(namespace).matches()) {
            throw ShimException.invalidArgument("namespace \"" + namespace + "\" is not a valid containerd identifier");
        }
        if (id == null || !ID.matcher(id).matches()) {
            throw ShimException.invalidArgument("task id \"" + id + "\" is not a valid containerd identifier");
        }
    }

    /** The key of {@code id} in the namespace of the current call. */
    public static TaskKey of(String id) {
        return new TaskKey(CallNamespace.current(), id);
    }

    @Override
    public String toString() {
        return namespace + "/" + id;
    }
}
