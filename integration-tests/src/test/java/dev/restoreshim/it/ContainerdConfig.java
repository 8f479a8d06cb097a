package dev.restoreshim.it;

import java.nio.file.Path;

/**
 * The config.toml (version 3) of a private containerd: everything under its own dir, CRI with
 * {@code restrict_oom_score_adj} (writing a negative oom_score_adj is refused on these machines), a
 * pinned local sandbox image, registry hosts from {@code certs.d}, an empty CNI dir (pods use the
 * node network), and the handlers {@code runc} and {@code restore}.
 */
public final class ContainerdConfig {

    private ContainerdConfig() {
    }

    /**
     * @param dir          the instance dir
     * @param sandboxImage the pinned sandbox (pause) image
     * @param shimPrefix   restore-shim install prefix, or null when not installed (the handler
     *                     then points at a launcher that does not exist)
     * @param shimConfig   restore-shim config passed as the handler's {@code ConfigPath}
     */
    public static String toml(Path dir, String sandboxImage, Path shimPrefix, Path shimConfig) {
        Path launcher = (shimPrefix == null ? dir.resolve("no-restore-shim-installed") : shimPrefix)
                .resolve("bin").resolve(ShimInstall.LAUNCHER);
        return """
                version = 3
                root = '%1$s/root'
                state = '%1$s/state'
                disabled_plugins = ['io.containerd.nri.v1.nri', 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.blockfile', 'io.containerd.snapshotter.v1.erofs', 'io.containerd.differ.v1.erofs']

                [grpc]
                  address = '%1$s/containerd.sock'

                [ttrpc]
                  address = '%1$s/containerd.sock.ttrpc'

                [debug]
                  level = 'debug'

                [plugins.'io.containerd.cri.v1.images']
                  snapshotter = 'overlayfs'

                  [plugins.'io.containerd.cri.v1.images'.pinned_images]
                    sandbox = '%2$s'

                  [plugins.'io.containerd.cri.v1.images'.registry]
                    config_path = '%1$s/certs.d'

                [plugins.'io.containerd.cri.v1.runtime']
                  restrict_oom_score_adj = true

                  [plugins.'io.containerd.cri.v1.runtime'.containerd]
                    default_runtime_name = 'runc'

                    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
                      runtime_type = 'io.containerd.runc.v2'
                      sandboxer = 'podsandbox'

                      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
                        Root = '%1$s/runc'

                    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.restore]
                      runtime_type = 'io.containerd.restore.v2'
                      runtime_path = '%3$s'
                      pod_annotations = ['%5$s*']
                      sandboxer = 'podsandbox'

                      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.restore.options]
                        ConfigPath = '%4$s'

                  [plugins.'io.containerd.cri.v1.runtime'.cni]
                    conf_dir = '%1$s/cni'
                    bin_dirs = ['%1$s/cni']

                [plugins.'io.containerd.grpc.v1.cri']
                  stream_server_address = '127.0.0.1'
                  stream_server_port = '0'
                """.formatted(dir, sandboxImage, launcher, shimConfig, PrivateContainerd.ANNOTATION_PREFIX);
    }
}
