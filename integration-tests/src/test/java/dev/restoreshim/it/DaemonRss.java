package dev.restoreshim.it;

import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The restore-shim node daemon's resident memory ({@code VmRSS} of {@code /proc/<pid>/status})
 * with a given number of running tasks: {@code tasks / 2} pods of sandbox + app container run
 * through CRI on the restore handler, RSS is read while they run, then the pods are removed.
 *
 * @param tasks     running tasks of the daemon when RSS was read
 * @param pid       the daemon's pid
 * @param rssKib    VmRSS in KiB with the tasks running
 * @param idleKib   VmRSS in KiB before the pods started
 * @param afterKib  VmRSS in KiB after the pods were removed
 */
public record DaemonRss(int tasks, long pid, long rssKib, long idleKib, long afterKib) {

    /** Runs {@code pods} pods (2 tasks each) on {@code containerd}'s restore handler and measures. */
    public static DaemonRss measure(PrivateContainerd containerd, TestImages images, String handler, int pods)
            throws IOException {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        long pid = onlyDaemon(containerd);
        long idle = vmRssKib(pid);
        List<String> podIds = new ArrayList<>();
        try {
            for (int i = 0; i < pods; i++) {
                var config = kubelet.sandboxConfig("rss-" + i, Map.of());
                Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
                String podId = containerd.cri().runtime(java.time.Duration.ofMinutes(2)).runPodSandbox(
                        dev.restoreshim.proto.cri.RunPodSandboxRequest.newBuilder()
                                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
                podIds.add(podId);
                KubeletFlow.Pod pod = new KubeletFlow.Pod(podId, config, logDir);
                kubelet.start(kubelet.createContainer(pod, "app", images.app()));
            }
            PodmanService.sleep(1000);
            long rss = vmRssKib(pid);
            removeAll(containerd, podIds);
            podIds.clear();
            return new DaemonRss(pods * 2, pid, rss, idle, vmRssKib(pid));
        } finally {
            removeAll(containerd, podIds);
        }
    }

    private static void removeAll(PrivateContainerd containerd, List<String> podIds) {
        for (String id : podIds) {
            containerd.cri().runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            containerd.cri().runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        }
    }

    private static long onlyDaemon(PrivateContainerd containerd) {
        List<Long> pids = containerd.warmDaemons();
        if (pids.size() != 1) {
            throw new IllegalStateException("expected one restore-shim daemon, found " + pids);
        }
        return pids.getFirst();
    }

    /** VmRSS of {@code pid} in KiB. */
    static long vmRssKib(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst().orElseThrow(() -> new IOException("no VmRSS for pid " + pid));
    }

    /** MiB with one decimal. */
    static double mib(long kib) {
        return kib / 1024.0;
    }
}
