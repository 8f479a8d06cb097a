package dev.restoreshim.cli;

import com.google.protobuf.Timestamp;
import dev.restoreshim.proto.admin.RestoreEntry;
import dev.restoreshim.proto.admin.StatusResponse;
import dev.restoreshim.proto.admin.TaskEntry;
import java.time.Instant;
import java.util.List;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Renders {@link DaemonReport}s as JSON for {@code restore-shim status --json}: an array, one object per daemon. */
final class StatusJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private StatusJson() {
    }

    static String render(List<DaemonReport> reports) {
        ArrayNode all = JSON.createArrayNode();
        reports.forEach(r -> all.add(daemon(r)));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all) + "\n";
    }

    private static ObjectNode daemon(DaemonReport r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("dir", r.dir().toString());
        o.put("health", r.health());
        if (r.error() != null) {
            o.put("error", r.error());
        }
        StatusResponse s = r.status();
        if (s == null) {
            return o;
        }
        o.put("pid", s.getPid());
        o.put("started_at", time(s.getStartedAt()));
        o.put("containerd_address", s.getContainerdAddress());
        ObjectNode v = o.putObject("versions");
        v.put("restore_shim", s.getVersions().getRestoreShim());
        v.put("java", s.getVersions().getJava());
        v.put("runtime", s.getVersions().getRuntime());
        v.put("criu", s.getVersions().getCriu());
        if (s.hasCriu()) {
            var c = s.getCriu();
            ObjectNode criu = o.putObject("criu");
            criu.put("binary", c.getBinary()).put("version", c.getVersion()).put("lazy_pages", c.getLazyPages())
                    .put("encryption", c.getEncryption()).put("tls", c.getTls()).put("problem", c.getProblem());
            ObjectNode kernel = criu.putObject("kernel");
            new TreeMap<>(c.getKernelMap()).forEach(kernel::put);
            ArrayNode allowed = criu.putArray("allowed_options");
            c.getAllowedOptionsList().forEach(allowed::add);
            ObjectNode defaults = criu.putObject("default_options");
            new TreeMap<>(c.getDefaultOptionsMap()).forEach(defaults::put);
            ArrayNode keyDirs = criu.putArray("key_dirs");
            c.getKeyDirsList().forEach(keyDirs::add);
        }
        ObjectNode features = o.putObject("features");
        new TreeMap<>(s.getFeaturesMap()).forEach(features::put);
        ArrayNode tasks = o.putArray("tasks");
        for (TaskEntry t : s.getTasksList()) {
            tasks.addObject().put("namespace", t.getNamespace()).put("id", t.getId()).put("pid", t.getPid())
                    .put("status", t.getStatus()).put("bundle", t.getBundle()).put("created_at", time(t.getCreatedAt()));
        }
        ArrayNode restores = o.putArray("recent_restores");
        for (RestoreEntry e : s.getRecentRestoresList()) {
            ObjectNode x = restores.addObject().put("namespace", e.getNamespace()).put("id", e.getId())
                    .put("source", e.getSource()).put("total_ms", e.getTotalMs()).put("outcome", e.getOutcome())
                    .put("error", e.getError()).put("finished_at", time(e.getFinishedAt()));
            ObjectNode phases = x.putObject("phase_ms");
            new TreeMap<>(e.getPhaseMsMap()).forEach(phases::put);
        }
        return o;
    }

    private static String time(Timestamp t) {
        return t.getSeconds() == 0 && t.getNanos() == 0 ? null : Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
    }
}
