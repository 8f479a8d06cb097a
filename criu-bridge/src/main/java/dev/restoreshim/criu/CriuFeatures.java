package dev.restoreshim.criu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the installed CRIU and the kernel support, probed once at daemon start by {@link #detect}:
 * {@code criu --version}, {@code criu check --feature uffd-noncoop} (lazy pages), {@code criu --help}
 * (image encryption, TLS options) and a few files under {@code /proc}, {@code /sys} and {@code /dev}.
 *
 * @param binary the CRIU binary probed
 * @param version CRIU's version ("4.1.1"), empty when {@code criu --version} failed
 * @param lazyPages userfaultfd with non-cooperative events: {@code criu lazy-pages} and
 *     {@code restore --lazy-pages} work
 * @param encryption the build has image encryption ({@code --encrypt} in its help, CRIU PR #2297):
 *     it can restore a checkpoint with {@code cipher.img} given {@code tls-key}
 * @param tls the build has the TLS options ({@code --tls-key}, linked with GnuTLS)
 * @param kernel kernel facts: release, userfaultfd, cgroup layout, time namespaces
 * @param problem why probing failed (CRIU missing or broken), empty when it worked
 */
public record CriuFeatures(String binary, String version, boolean lazyPages, boolean encryption, boolean tls,
        Map<String, String> kernel, String problem) {
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern VERSION = Pattern.compile("Version:\\s*(\\S+)");

    public CriuFeatures {
        kernel = Map.copyOf(kernel);
    }

    /** Probes {@code criu} and the kernel under {@code root} ("/" on a node; a fake tree in tests). */
    public static CriuFeatures detect(CriuCommand criu, Path root) {
        CriuCommand.Result v = criu.run(List.of("--version"), PROBE_TIMEOUT);
        Matcher m = VERSION.matcher(v.output());
        if (!v.ok() || !m.find()) {
            String why = criu.binary() + " --version: " + (v.exit() == -1 ? v.output().strip()
                    : "exit " + v.exit() + ": " + firstLine(v.output()));
            return new CriuFeatures(criu.binary(), "", false, false, false, kernel(root), why);
        }
        boolean lazy = criu.run(List.of("check", "--feature", "uffd-noncoop"), PROBE_TIMEOUT).ok();
        String help = criu.run(List.of("--help"), PROBE_TIMEOUT).output();
        boolean encryption = help.contains("--encrypt");
        boolean tls = help.contains("--tls-key");
        return new CriuFeatures(criu.binary(), m.group(1), lazy, encryption, tls, kernel(root), "");
    }

    /** Whether probing worked (CRIU ran and told its version). */
    public boolean usable() {
        return problem.isEmpty();
    }

    /**
     * The report for {@code restore-shim status}: {@code criu.version}, {@code criu.lazy-pages},
     * {@code criu.encryption}, {@code criu.tls}, {@code criu.problem} (when set) and the kernel facts
     * as {@code kernel.<name>}.
     */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("criu.binary", binary);
        m.put("criu.version", version.isEmpty() ? "unknown" : version);
        m.put("criu.lazy-pages", yesNo(lazyPages));
        m.put("criu.encryption", yesNo(encryption));
        m.put("criu.tls", yesNo(tls));
        if (!problem.isEmpty()) {
            m.put("criu.problem", problem);
        }
        kernel.forEach((k, val) -> m.put("kernel." + k, val));
        return m;
    }

    private static Map<String, String> kernel(Path root) {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("release", read(root.resolve("proc/sys/kernel/osrelease")).orElse("unknown"));
        k.put("userfaultfd", yesNo(Files.exists(root.resolve("dev/userfaultfd"))
                || Files.exists(root.resolve("proc/sys/vm/unprivileged_userfaultfd"))));
        k.put("cgroup", Files.exists(root.resolve("sys/fs/cgroup/cgroup.controllers")) ? "v2"
                : Files.isDirectory(root.resolve("sys/fs/cgroup/unified")) ? "hybrid" : "v1");
        k.put("time-ns", yesNo(Files.exists(root.resolve("proc/self/ns/time"))));
        return k;
    }

    private static java.util.Optional<String> read(Path p) {
        try {
            return java.util.Optional.of(Files.readString(p).strip());
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }
}
