package dev.restoreshim.config;

import dev.restoreshim.criu.CriuException;
import dev.restoreshim.criu.CriuPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.toml.TomlMapper;

/**
 * Reads a {@link ShimConfig} from TOML. Unknown keys are errors (a typo must not silently fall
 * back to a default), and every error names the file, the key and the reason.
 */
public final class ConfigFile {
    private static final Set<String> TOP_KEYS = Set.of("state_dir", "runtime", "runtime_root", "criu",
            "protocol", "log_level", "java", "java_options", "restore");
    private static final Set<String> RESTORE_KEYS = Set.of("cache_dir", "tmpfs_size_limit", "images", "readahead",
            "delta");
    private static final Set<String> CRIU_KEYS = Set.of("binary", "allow", "key_dirs", "defaults", "kdat_cache");
    private static final TomlMapper TOML = new TomlMapper();

    private ConfigFile() {
    }

    /** Reads and validates the file; a missing or unreadable file is a {@link ConfigException}. */
    public static ShimConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), null, "file does not exist");
        } catch (IOException e) {
            throw new ConfigException(file.toString(), null, "cannot read: " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    /**
     * Parses TOML text.
     *
     * @param origin named in error messages: the file path, or where the text came from
     */
    public static ShimConfig parse(String text, String origin) {
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JacksonException e) {
            throw new ConfigException(origin, null, "not valid TOML: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = TOML.createObjectNode();
        }
        return new Reader(root, origin).config();
    }

    /** Walks the tree with the origin at hand for error messages. */
    private record Reader(JsonNode root, String origin) {
        ShimConfig config() {
            rejectUnknown(root, "", TOP_KEYS);
            ShimConfig d = ShimConfig.defaults();
            Path stateDir = path("state_dir", root.get("state_dir"), d.stateDir());
            Path runtimeRoot = path("runtime_root", root.get("runtime_root"), stateDir.resolve("runc"));
            String protocolName = string("protocol", root.get("protocol"), d.protocol().configName());
            Protocol protocol = Protocol.parse(protocolName);
            if (protocol == null) {
                throw new ConfigException(origin, "protocol", "must be \"ttrpc\" or \"grpc\", got \"" + protocolName + "\"");
            }
            String levelName = string("log_level", root.get("log_level"), d.logLevel().configName());
            LogLevel level = LogLevel.parse(levelName.toLowerCase(Locale.ROOT));
            if (level == null) {
                throw new ConfigException(origin, "log_level",
                        "must be one of error, warn, info, debug, trace, got \"" + levelName + "\"");
            }
            List<String> javaOptions = splitOptions(string("java_options", root.get("java_options"), ""));
            JsonNode criu = root.get("criu");
            boolean criuTable = criu != null && criu.isObject();
            if (criuTable) {
                rejectUnknown(criu, "criu.", CRIU_KEYS);
            }
            return new ShimConfig(stateDir,
                    string("runtime", root.get("runtime"), d.runtime()),
                    runtimeRoot,
                    criuTable ? string("criu.binary", criu.get("binary"), d.criu()) : string("criu", criu, d.criu()),
                    protocol, level,
                    string("java", root.get("java"), d.java()),
                    javaOptions,
                    restore(root.get("restore")),
                    criuTable ? criuPolicy(criu) : CriuPolicy.closed(),
                    criuTable ? bool("criu.kdat_cache", criu.get("kdat_cache"), d.criuKdatCache()) : d.criuKdatCache(),
                    origin);
        }

        /** {@code [criu]}: allow (option names), key_dirs (absolute dirs), defaults (a table of option = value). */
        private CriuPolicy criuPolicy(JsonNode table) {
            Map<String, String> defaults = new TreeMap<>();
            JsonNode d = table.get("defaults");
            if (d != null) {
                if (!d.isObject()) {
                    throw new ConfigException(origin, "criu.defaults", "must be a table ([criu.defaults]), got " + kind(d));
                }
                for (var e : d.properties()) {
                    JsonNode v = e.getValue();
                    if (!v.isBoolean() && !v.isString()) {
                        throw new ConfigException(origin, "criu.defaults." + e.getKey(),
                                "must be true, false or a string, got " + kind(v));
                    }
                    defaults.put(e.getKey(), v.isBoolean() ? String.valueOf(v.booleanValue()) : v.stringValue());
                }
            }
            List<String> allow = strings("criu.allow", table.get("allow"));
            List<Path> keyDirs = new ArrayList<>();
            for (String dir : strings("criu.key_dirs", table.get("key_dirs"))) {
                keyDirs.add(path("criu.key_dirs", TOML.getNodeFactory().stringNode(dir), null));
            }
            try {
                return CriuPolicy.of(defaults, allow, keyDirs);
            } catch (CriuException e) {
                throw new ConfigException(origin, "criu", e.getMessage());
            }
        }

        private List<String> strings(String key, JsonNode node) {
            List<String> out = new ArrayList<>();
            if (node == null) {
                return out;
            }
            if (!node.isArray()) {
                throw new ConfigException(origin, key, "must be an array of strings, got " + kind(node));
            }
            for (JsonNode item : node) {
                if (!item.isString()) {
                    throw new ConfigException(origin, key, "must be an array of strings, got " + kind(item));
                }
                out.add(item.stringValue());
            }
            return out;
        }

        private RestoreSettings restore(JsonNode table) {
            if (table == null) {
                return RestoreSettings.defaults();
            }
            if (!table.isObject()) {
                throw new ConfigException(origin, "restore", "must be a table ([restore]), got " + kind(table));
            }
            rejectUnknown(table, "restore.", RESTORE_KEYS);
            Path cacheDir = path("restore.cache_dir", table.get("cache_dir"), RestoreSettings.DEFAULT_CACHE_DIR);
            long limit = size("restore.tmpfs_size_limit", table.get("tmpfs_size_limit"),
                    RestoreSettings.DEFAULT_TMPFS_SIZE_LIMIT);
            if (limit < RestoreSettings.MIN_TMPFS_SIZE_LIMIT) {
                throw new ConfigException(origin, "restore.tmpfs_size_limit",
                        "must be at least 1M, got " + limit + " bytes");
            }
            return new RestoreSettings(cacheDir, limit,
                    choice("restore.images", table.get("images"), RestoreSettings.Images.values()),
                    bool("restore.readahead", table.get("readahead"), false),
                    choice("restore.delta", table.get("delta"), RestoreSettings.Delta.values()));
        }

        /** One of {@code values} by its lower-case name ({@code "auto"} when absent). */
        private <E extends Enum<E>> E choice(String key, JsonNode node, E[] values) {
            String value = string(key, node, "auto");
            for (E v : values) {
                if (v.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return v;
                }
            }
            throw new ConfigException(origin, key, "must be one of " + String.join(", ", Arrays.stream(values)
                    .map(v -> "\"" + v.name().toLowerCase(Locale.ROOT) + "\"").toList()) + ", got \"" + value
                    + "\"");
        }

        private boolean bool(String key, JsonNode node, boolean fallback) {
            if (node == null) {
                return fallback;
            }
            if (!node.isBoolean()) {
                throw new ConfigException(origin, key, "must be true or false, got " + kind(node));
            }
            return node.booleanValue();
        }

        private void rejectUnknown(JsonNode table, String prefix, Set<String> known) {
            for (String name : table.propertyNames()) {
                if (!known.contains(name)) {
                    throw new ConfigException(origin, prefix + name,
                            "unknown key (known: " + String.join(", ", new TreeSet<>(known)) + ")");
                }
            }
        }

        private String string(String key, JsonNode node, String fallback) {
            if (node == null) {
                return fallback;
            }
            if (!node.isString()) {
                throw new ConfigException(origin, key, "must be a string, got " + kind(node));
            }
            return node.stringValue();
        }

        private Path path(String key, JsonNode node, Path fallback) {
            String value = string(key, node, null);
            if (value == null) {
                return fallback;
            }
            Path p = Path.of(value);
            if (!p.isAbsolute()) {
                throw new ConfigException(origin, key, "must be an absolute path, got \"" + value + "\"");
            }
            return p.normalize();
        }

        private long size(String key, JsonNode node, long fallback) {
            if (node == null) {
                return fallback;
            }
            if (node.isIntegralNumber()) {
                return node.longValue();
            }
            if (!node.isString()) {
                throw new ConfigException(origin, key, "must be a size such as \"512M\" or a number of bytes, got " + kind(node));
            }
            return SizeValue.parse(node.stringValue())
                    .orElseThrow(() -> new ConfigException(origin, key,
                            "must be a size such as \"512M\", \"2G\" or \"1048576\", got \"" + node.stringValue() + "\""));
        }

        private static List<String> splitOptions(String value) {
            List<String> out = new ArrayList<>();
            Arrays.stream(value.trim().split("\\s+")).filter(s -> !s.isEmpty()).forEach(out::add);
            return out;
        }

        private static String kind(JsonNode node) {
            return node.getNodeType().name().toLowerCase(Locale.ROOT) + " " + node;
        }
    }
}
