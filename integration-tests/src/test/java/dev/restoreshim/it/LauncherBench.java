package dev.restoreshim.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Times the installed launcher's {@code start} against a live node daemon, invoked the way
 * containerd invokes it: cwd = a bundle dir holding {@code config.json}, flags
 * {@code -namespace -address -publish-binary -id ... start}, environment {@code TTRPC_ADDRESS}
 * and {@code RESTORE_SHIM_CONFIG} as {@link PrivateContainerd} sets them. Each sample is the wall
 * time from spawning the process to its exit, as containerd waits for it.
 *
 * @param millis the samples, sorted ascending
 * @param address what the launcher printed (the daemon's address)
 */
public record LauncherBench(double[] millis, String address) {

    /**
     * Runs {@code start} {@code runs} times (after 3 unrecorded warm-up runs) against the daemon of
     * {@code containerd}, which must already run: a launcher that had to spawn a daemon fails here.
     */
    public static LauncherBench run(PrivateContainerd containerd, Path launcher, int runs) throws IOException {
        Path bundle = Files.createDirectories(containerd.dir().resolve("bench-bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.2.0\"}");
        List<Long> before = containerd.warmDaemons();
        if (before.isEmpty()) {
            throw new IllegalStateException("launcher bench: no restore-shim daemon runs");
        }
        String address = null;
        double[] millis = new double[runs];
        for (int i = -3; i < runs; i++) {
            ProcessBuilder builder = new ProcessBuilder(launcher.toString(),
                    "-namespace", "k8s.io", "-address", containerd.socket().toString(),
                    "-publish-binary", "/usr/bin/containerd", "-id", "launcher-bench-" + (i + 3), "start")
                    .directory(bundle.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            Map<String, String> env = builder.environment();
            env.put("TTRPC_ADDRESS", containerd.socket() + ".ttrpc");
            env.put("RESTORE_SHIM_CONFIG", containerd.dir().resolve("shim/config.toml").toString());
            long t = System.nanoTime();
            Process p = builder.start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            waitFor(p);
            double ms = (System.nanoTime() - t) / 1e6;
            if (p.exitValue() != 0) {
                throw new IllegalStateException("launcher start exited " + p.exitValue() + ": "
                        + new String(err, StandardCharsets.UTF_8).strip());
            }
            address = new String(out, StandardCharsets.UTF_8);
            if (i >= 0) {
                millis[i] = ms;
            }
        }
        if (!containerd.warmDaemons().equals(before)) {
            throw new IllegalStateException("launcher bench: the daemon changed from " + before + " to "
                    + containerd.warmDaemons() + " (start spawned its own daemon: wrong -address?)");
        }
        Arrays.sort(millis);
        return new LauncherBench(millis, address);
    }

    private static void waitFor(Process p) {
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("launcher start did not exit within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Median (nearest rank). */
    public double p50() {
        return TimingTable.percentile(millis, 50);
    }

    /** p90 (nearest rank). */
    public double p90() {
        return TimingTable.percentile(millis, 90);
    }
}
