package dev.restoreshim.runc;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * runc (1.2 and later) ignores its {@code --criu} flag and runs {@code criu} from its PATH
 * ({@code exec.Command("criu", "swrk", "3")} in libcontainer's {@code criu_linux.go}). To make a
 * configured CRIU binary the one runc runs, its directory goes first on runc's PATH; that works
 * when the configured binary is an absolute path to a file named {@code criu}.
 */
public final class CriuOnPath {
    private CriuOnPath() {
    }

    /**
     * {@code base} with the directory of {@code criu} first on PATH when {@code criu} is an absolute
     * path whose file name is {@code criu}; {@code base} unchanged otherwise.
     */
    public static Map<String, String> env(Map<String, String> base, String criu) {
        Path p = Path.of(criu);
        if (!p.isAbsolute() || p.getFileName() == null || !p.getFileName().toString().equals("criu")) {
            return base;
        }
        Map<String, String> env = new HashMap<>(base);
        String path = base.getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("PATH", p.getParent() + ":" + path);
        return env;
    }

    /** Whether {@link #env} changes anything for {@code criu}. */
    public static boolean applies(String criu) {
        Path p = Path.of(criu);
        return p.isAbsolute() && p.getFileName() != null && p.getFileName().toString().equals("criu");
    }
}
