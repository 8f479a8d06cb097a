package dev.restoreshim.task;

import com.google.protobuf.Any;
import dev.restoreshim.cgroups.CgroupMetrics;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.ContainerDeps;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExitListener;
import dev.restoreshim.runc.Runc;
import dev.restoreshim.runc.RuncSettings;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers through the OCI runtime CLI: one runc state root per containerd namespace, as
 * containerd's runc shim keeps them ({@code <runtime_root>/<namespace>}).
 */
public final class OciTaskRuntime implements TaskRuntime {
    private static final Logger log = LoggerFactory.getLogger(OciTaskRuntime.class);

    private final Function<RuncSettings, Runc> runcFactory;
    private final Path runtimeBinary;
    private final Path runtimeRoot;
    private final boolean systemdCgroup;
    private final ContainerDeps template;
    private final CgroupMetrics metrics;
    private final Map<String, Runc> runcByNamespace = new ConcurrentHashMap<>();

    /**
     * @param runcFactory   builds a runc for one namespace's settings
     * @param runtimeBinary runc (or crun)
     * @param runtimeRoot   base of the per-namespace state roots
     * @param template      system interfaces shared by every container (its runc and listener are replaced)
     */
    public OciTaskRuntime(Function<RuncSettings, Runc> runcFactory, Path runtimeBinary, Path runtimeRoot,
                          boolean systemdCgroup, ContainerDeps template, CgroupMetrics metrics) {
        this.runcFactory = runcFactory;
        this.runtimeBinary = runtimeBinary;
        this.runtimeRoot = runtimeRoot;
        this.systemdCgroup = systemdCgroup;
        this.template = template;
        this.metrics = metrics;
    }

    @Override
    public Container create(CreateSpec spec, ExitListener listener) {
        return Container.create(spec, deps(spec.namespace(), listener));
    }

    @Override
    public Container adopt(ContainerRecord record, ExitListener listener) {
        return Container.adopt(record, deps(record.namespace(), listener));
    }

    @Override
    public void cleanup(Container container) {
        try {
            container.kill("", 9, true);
        } catch (RuntimeException e) {
            log.debug("event=cleanup_kill id={} reason=\"{}\"", container.id(), e.getMessage());
        }
        try {
            container.delete("");
        } catch (RuntimeException e) {
            log.warn("event=cleanup_failed id={} reason=\"{}\"", container.id(), e.getMessage());
        }
    }

    @Override
    public Any stats(int pid) {
        return metrics.read(pid);
    }

    private ContainerDeps deps(String namespace, ExitListener listener) {
        Runc runc = runcByNamespace.computeIfAbsent(namespace, ns -> runcFactory.apply(
                RuncSettings.forNamespace(runtimeBinary, runtimeRoot, ns, systemdCgroup)));
        return new ContainerDeps(runc, template.mounts(), template.fds(), template.reaper(), template.signals(),
                listener, template.consoleTimeout());
    }
}
