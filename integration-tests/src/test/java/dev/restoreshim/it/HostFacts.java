package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** What the demo prints about where it measured: machine, kernel, cgroup mode and tool versions. */
public final class HostFacts {

    private HostFacts() {
    }

    /** Lines of {@code name: value}, ready to print. */
    public static List<String> describe(Path launcher) {
        return List.of(
                "machine     " + hostname() + ", " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
                        + " CPUs, " + memTotal() + ", kernel " + firstLine("uname", "-r") + ", " + cgroupMode(),
                "containerd  " + firstLine("containerd", "--version").replaceFirst("^containerd \\S+ ", ""),
                "runc        " + firstLine("runc", "--version").replaceFirst("^runc version ", ""),
                "criu        " + firstLine("criu", "--version").replaceFirst("^Version: ", ""),
                "java        " + System.getProperty("java.vm.vendor") + " " + Runtime.version()
                        + " (demo and restore-shim daemon)",
                "restore-shim " + firstLine(launcher.resolveSibling("restore-shim").toString(), "version")
                        .replaceFirst("^restore-shim ", "") + ", TTRPC (" + launcher + ")",
                "load avg    " + read(Path.of("/proc/loadavg")).split(" ")[0]
                        + " (1 min, before the run: other work on the machine skews the timings)");
    }

    private static String hostname() {
        return read(Path.of("/proc/sys/kernel/hostname")).strip();
    }

    private static String cpuModel() {
        return read(Path.of("/proc/cpuinfo")).lines().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip().replaceAll("\\s+", " ")).findFirst().orElse("unknown CPU");
    }

    private static String memTotal() {
        return read(Path.of("/proc/meminfo")).lines().filter(l -> l.startsWith("MemTotal:"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB RAM").findFirst().orElse("? RAM");
    }

    private static String cgroupMode() {
        if (Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
            return "cgroup v2";
        }
        return Files.isDirectory(Path.of("/sys/fs/cgroup/unified")) ? "cgroup v1 (hybrid)" : "cgroup v1";
    }

    private static String firstLine(String... argv) {
        try {
            HostCommand.Result r = HostCommand.of(argv).withTimeout(Duration.ofSeconds(20)).run();
            String text = (r.stdout().isBlank() ? r.stderr() : r.stdout()).strip();
            return text.lines().findFirst().orElse("?");
        } catch (RuntimeException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
