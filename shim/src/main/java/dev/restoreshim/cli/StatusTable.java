package dev.restoreshim.cli;

import com.google.protobuf.Timestamp;
import dev.restoreshim.proto.admin.RestoreEntry;
import dev.restoreshim.proto.admin.StatusResponse;
import dev.restoreshim.proto.admin.TaskEntry;
import dev.restoreshim.proto.admin.Versions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders {@link DaemonReport}s as readable text for {@code restore-shim status}. */
final class StatusTable {
    /** Restore phases in the order they run; other phases follow alphabetically. */
    static final List<String> PHASE_ORDER = List.of("index", "delta", "overlay", "mount", "stage", "create", "criu",
            "restore", "teardown");

    private StatusTable() {
    }

    static String render(List<DaemonReport> reports) {
        StringBuilder sb = new StringBuilder();
        for (DaemonReport r : reports) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(render(r));
        }
        return sb.toString();
    }

    static String render(DaemonReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("daemon ").append(r.dir()).append("  ").append(r.health()).append('\n');
        if (r.error() != null) {
            sb.append("  error: ").append(r.error()).append('\n');
        }
        StatusResponse s = r.status();
        if (s == null) {
            return sb.toString();
        }
        sb.append("  pid ").append(s.getPid()).append("  started ").append(time(s.getStartedAt()))
                .append("  containerd ").append(s.getContainerdAddress().isEmpty() ? "-" : s.getContainerdAddress()).append('\n');
        Versions v = s.getVersions();
        sb.append("  versions: restore-shim ").append(dash(v.getRestoreShim())).append(", java ").append(dash(v.getJava()))
                .append(", runtime ").append(dash(v.getRuntime())).append(", criu ").append(dash(v.getCriu())).append('\n');
        if (s.hasCriu()) {
            var c = s.getCriu();
            sb.append("  criu: ").append(c.getVersion().isEmpty() ? "unusable" : c.getVersion())
                    .append("  lazy-pages ").append(c.getLazyPages() ? "yes" : "no")
                    .append("  encryption ").append(c.getEncryption() ? "yes" : "no")
                    .append("  allowed ").append(c.getAllowedOptionsCount() == 0 ? "-" : String.join(",", c.getAllowedOptionsList()))
                    .append(c.getProblem().isEmpty() ? "" : "  problem: " + c.getProblem()).append('\n');
        }
        if (!s.getFeaturesMap().isEmpty()) {
            List<String> features = new ArrayList<>();
            new TreeMap<>(s.getFeaturesMap()).forEach((k, val) -> features.add(k + "=" + val));
            sb.append("  features: ").append(String.join(" ", features)).append('\n');
        }
        sb.append('\n').append("TASKS (").append(s.getTasksCount()).append(")\n");
        if (s.getTasksCount() > 0) {
            TextTable t = new TextTable("NAMESPACE", "ID", "PID", "STATUS", "CREATED", "BUNDLE");
            s.getTasksList().stream()
                    .sorted(Comparator.comparing(TaskEntry::getNamespace).thenComparing(TaskEntry::getId))
                    .forEach(task -> t.row(task.getNamespace(), task.getId(), Integer.toUnsignedString(task.getPid()),
                            task.getStatus(), time(task.getCreatedAt()), task.getBundle()));
            sb.append(t.render());
        }
        sb.append('\n').append("RECENT RESTORES (").append(s.getRecentRestoresCount()).append(")\n");
        if (s.getRecentRestoresCount() > 0) {
            TextTable t = new TextTable("NAMESPACE", "ID", "OUTCOME", "TOTAL", "PHASES (ms)", "SOURCE", "ERROR");
            for (RestoreEntry e : s.getRecentRestoresList()) {
                t.row(e.getNamespace(), e.getId(), e.getOutcome(), e.getTotalMs() + "ms", phases(e.getPhaseMsMap()),
                        dash(e.getSource()), dash(e.getError()));
            }
            sb.append(t.render());
        }
        return sb.toString();
    }

    /** {@code index=3 overlay=10 criu=380}, known phases first in run order. */
    static String phases(Map<String, Long> phaseMs) {
        List<String> names = new ArrayList<>(phaseMs.keySet());
        names.sort(Comparator.comparingInt((String n) -> {
            int i = PHASE_ORDER.indexOf(n);
            return i < 0 ? PHASE_ORDER.size() : i;
        }).thenComparing(Comparator.naturalOrder()));
        List<String> parts = new ArrayList<>();
        for (String n : names) {
            parts.add(n + "=" + phaseMs.get(n));
        }
        return parts.isEmpty() ? "-" : String.join(" ", parts);
    }

    static String time(Timestamp t) {
        if (t.getSeconds() == 0 && t.getNanos() == 0) {
            return "-";
        }
        return Instant.ofEpochSecond(t.getSeconds()).toString();
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s.replace('\n', ' ');
    }
}
