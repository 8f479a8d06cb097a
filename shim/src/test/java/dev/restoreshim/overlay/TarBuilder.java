package dev.restoreshim.overlay;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds small tars in memory for the tests, including the hostile ones. */
final class TarBuilder {
    static final FileTime MTIME = FileTime.from(Instant.parse("2024-05-06T07:08:09.123456789Z"));

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream out;

    TarBuilder() {
        out = new TarArchiveOutputStream(bytes);
        out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    TarBuilder dir(String name, int mode) {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
        e.setMode(040000 | mode);
        return put(e, null, Map.of());
    }

    TarBuilder file(String name, String content) {
        return file(name, content, 0644, 0, 0, Map.of());
    }

    TarBuilder file(String name, String content, int mode, int uid, int gid, Map<String, String> pax) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setMode(0100000 | mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(data.length);
        return put(e, data, pax);
    }

    TarBuilder symlink(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
        e.setLinkName(target);
        return put(e, null, Map.of());
    }

    TarBuilder hardlink(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
        e.setLinkName(target);
        return put(e, null, Map.of());
    }

    TarBuilder device(String name, byte type, int major, int minor) {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return put(e, null, Map.of());
    }

    TarBuilder fifo(String name) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_FIFO, true);
        e.setMode(010644);
        return put(e, null, Map.of());
    }

    private TarBuilder put(TarArchiveEntry e, byte[] data, Map<String, String> pax) {
        try {
            e.setModTime(MTIME);
            pax.forEach(e::addPaxHeader);
            out.putArchiveEntry(e);
            if (data != null) {
                out.write(data);
            }
            out.closeArchiveEntry();
            return this;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    byte[] bytes() {
        try {
            out.finish();
            out.close();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    InputStream stream() {
        return new ByteArrayInputStream(bytes());
    }
}
