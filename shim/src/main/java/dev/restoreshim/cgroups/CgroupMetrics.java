package dev.restoreshim.cgroups;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.restoreshim.errors.ShimException;
import java.util.Objects;

/**
 * The statistics of a process's cgroup as containerd's runc shim returns them from the Task API
 * {@code Stats} RPC: an {@code Any} holding {@code io.containerd.cgroups.v1.Metrics} on a v1 or
 * hybrid host and {@code io.containerd.cgroups.v2.Metrics} on a unified one.
 *
 * <p>The type URL is the bare full message name ({@code io.containerd.cgroups.v1.Metrics}, no
 * {@code type.googleapis.com/} prefix), byte for byte what the runc shim sends: it packs with
 * containerd's typeurl, which falls back to the proto message name for unregistered types.
 * containerd decodes through the Go proto registry's {@code FindMessageByURL}, which takes the part
 * after the last {@code /}, so a prefixed URL would decode too; the bare name avoids relying on it.
 * Note that protobuf-java's {@link Any#is} and {@link Any#unpack} expect a {@code /} in the URL:
 * Java readers parse {@link Any#getValue()} directly.
 *
 * <p>Thread-safe: it holds no state besides the file access.
 */
public final class CgroupMetrics {
    private final CgroupFiles files;
    private final CgroupV1Stats v1;
    private final CgroupV2Stats v2;

    public CgroupMetrics(CgroupFiles files) {
        this.files = Objects.requireNonNull(files, "files");
        this.v1 = new CgroupV1Stats(files);
        this.v2 = new CgroupV2Stats(files);
    }

    /** Metrics from the real host's {@code /proc} and {@code /sys/fs/cgroup}. */
    public static CgroupMetrics host() {
        return new CgroupMetrics(CgroupFiles.host());
    }

    /**
     * Reads the metrics of the cgroup {@code pid} is in (for a task, its init process).
     *
     * @throws ShimException NOT_FOUND when the process is gone; FAILED_PRECONDITION when its
     *     cgroup is not mounted on this host
     */
    public Any read(int pid) {
        if (pid <= 0) {
            throw ShimException.invalidArgument("read cgroup metrics: pid " + pid + " is not a process id");
        }
        Message metrics = switch (ProcessCgroup.of(files, pid)) {
            case ProcessCgroup.Legacy legacy -> v1.read(legacy);
            case ProcessCgroup.Unified unified -> v2.read(unified);
        };
        return pack(metrics);
    }

    /** An Any with the bare full message name as type URL, as containerd's typeurl writes it. */
    static Any pack(Message message) {
        return Any.newBuilder()
                .setTypeUrl(message.getDescriptorForType().getFullName())
                .setValue(message.toByteString())
                .build();
    }
}
