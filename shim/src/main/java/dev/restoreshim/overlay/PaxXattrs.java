package dev.restoreshim.overlay;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Extended attributes carried by a tar entry's PAX headers: {@code SCHILY.xattr.NAME} (GNU tar,
 * Go's archive/tar; the value is the raw bytes) and {@code LIBARCHIVE.xattr.NAME} (name
 * URL-encoded, value base64). Only {@code user.*}, {@code security.*} and POSIX ACLs are kept:
 * {@code trusted.*} (overlayfs' own {@code trusted.overlay.*} among them) could forge overlay
 * metadata and is dropped. Commons Compress decodes PAX values as UTF-8, so a SCHILY value that
 * was not valid UTF-8 arrives with U+FFFD in it; such a value is dropped (counted), never written
 * corrupted.
 *
 * @param values name to value, in header order
 * @param dropped how many attributes were not kept
 */
record PaxXattrs(Map<String, byte[]> values, int dropped) {
    private static final String SCHILY = "SCHILY.xattr.";
    private static final String LIBARCHIVE = "LIBARCHIVE.xattr.";

    static PaxXattrs of(TarArchiveEntry entry) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        int dropped = 0;
        for (Map.Entry<String, String> h : entry.getExtraPaxHeaders().entrySet()) {
            String key = h.getKey();
            String name;
            byte[] value;
            if (key.startsWith(SCHILY)) {
                name = key.substring(SCHILY.length());
                if (h.getValue().indexOf('\uFFFD') >= 0) {
                    dropped++;
                    continue;
                }
                value = h.getValue().getBytes(StandardCharsets.UTF_8);
            } else if (key.startsWith(LIBARCHIVE)) {
                try {
                    name = URLDecoder.decode(key.substring(LIBARCHIVE.length()), StandardCharsets.UTF_8);
                    value = Base64.getDecoder().decode(h.getValue().strip());
                } catch (IllegalArgumentException e) {
                    dropped++;
                    continue;
                }
            } else {
                continue;
            }
            if (allowed(name)) {
                out.put(name, value);
            } else {
                dropped++;
            }
        }
        return new PaxXattrs(out, dropped);
    }

    static boolean allowed(String name) {
        return name.startsWith("user.") || name.startsWith("security.")
                || name.equals("system.posix_acl_access") || name.equals("system.posix_acl_default");
    }
}
