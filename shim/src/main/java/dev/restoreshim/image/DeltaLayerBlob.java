package dev.restoreshim.image;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.DeltaFormat;
import dev.restoreshim.errors.ShimException;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The restore image's delta layer: the checkpoint's rootfs changes as an OCI gzip layer with
 * whiteouts, written to a {@link BlobOutput} in one pass.
 *
 * <ul>
 *   <li>A containerd archive's {@code rootfs-diff.tar} already is such a layer: its bytes are
 *   passed through unchanged; the diff_id is computed by inflating them on the way.</li>
 *   <li>A CRI-O/Podman plain {@code rootfs-diff.tar} (and any delta that is not gzip) is rewritten:
 *   every entry is copied with its header (owner, mode, times, PAX extended attributes), paths
 *   listed in {@code deleted.files} (and anything below them) are left out, and each of those
 *   paths becomes a {@code DIR/.wh.NAME} whiteout at the end.</li>
 *   <li>No delta at all gives an empty layer (an empty tar, gzipped).</li>
 * </ul>
 */
public final class DeltaLayerBlob {
    private static final String WHITEOUT = ".wh.";

    private DeltaLayerBlob() {
    }

    /**
     * The written layer.
     *
     * @param descriptor the gzip blob
     * @param diffId sha256 of the uncompressed tar
     * @param passedThrough true when the archive's own gzip layer was used as it is
     * @param whiteouts whiteouts added for {@code deleted.files}
     */
    public record Result(Descriptor descriptor, String diffId, boolean passedThrough, int whiteouts) {
    }

    /**
     * Writes the delta of {@code archive} to {@code out} and finishes the blob.
     *
     * @param format how the archive's delta records deletions
     * @param deleted the archive's {@code deleted.files} paths (normalized, relative)
     */
    public static Result write(CheckpointArchive archive, DeltaFormat format, List<String> deleted, BlobOutput out) {
        String name = archive.path().toString();
        try {
            boolean[] passed = new boolean[1];
            MessageDigest diff = Digests.sha256();
            if (format == DeltaFormat.OCI_LAYER && deleted.isEmpty()) {
                archive.forEach(e -> e.name().equals("rootfs-diff.tar") && e.isFile() && e.size() > 0, (entry, data) -> {
                    byte[] magic = data.readNBytes(2);
                    if (magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                        passThrough(new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(magic), data), out, diff);
                        passed[0] = true;
                    }
                });
            }
            if (passed[0]) {
                return new Result(out.finish(MediaTypes.OCI_LAYER_GZIP), Digests.format(diff.digest()), true, 0);
            }
            int whiteouts = rewrite(archive, deleted, out, diff);
            return new Result(out.finish(MediaTypes.OCI_LAYER_GZIP), Digests.format(diff.digest()), false, whiteouts);
        } catch (IOException e) {
            throw ShimException.failedPrecondition("archive " + name + ": writing the delta layer: " + e.getMessage());
        }
    }

    /** Copies gzip bytes to {@code out} unchanged while inflating them into {@code diff}. */
    private static void passThrough(InputStream gzip, OutputStream out, MessageDigest diff) throws IOException {
        InputStream tee = new FilterInputStream(gzip) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    out.write(b);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    out.write(b, off, n);
                }
                return n;
            }
        };
        GZIPInputStream inflated = new GZIPInputStream(tee, 64 * 1024);
        byte[] buf = new byte[256 * 1024];
        int n;
        while ((n = inflated.read(buf)) > 0) {
            diff.update(buf, 0, n);
        }
        tee.transferTo(OutputStream.nullOutputStream()); // whatever follows the gzip member still goes out
    }

    /** Re-encodes the (decompressed) delta as a gzip OCI layer with whiteouts for {@code deleted}. */
    private static int rewrite(CheckpointArchive archive, List<String> deleted, OutputStream out, MessageDigest diff)
            throws IOException {
        Set<String> gone = new HashSet<>(deleted);
        GZIPOutputStream gz = new GZIPOutputStream(new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() {
                // the BlobOutput is finished by the caller
            }
        }, 64 * 1024);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new DigestOutputStream(gz, diff));
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        String name = archive.path() + "!rootfs-diff.tar";
        archive.readDelta((entry, data) -> copyEntries(name, new TarArchiveInputStream(data), tar, gone));
        for (String path : deleted) {
            int slash = path.lastIndexOf('/');
            TarArchiveEntry wh = new TarArchiveEntry(path.substring(0, slash + 1) + WHITEOUT + path.substring(slash + 1));
            wh.setMode(0100644);
            wh.setSize(0);
            wh.setIds(0, 0);
            tar.putArchiveEntry(wh);
            tar.closeArchiveEntry();
        }
        tar.finish();
        gz.finish();
        return deleted.size();
    }

    private static void copyEntries(String name, TarArchiveInputStream in, TarArchiveOutputStream tar, Set<String> gone)
            throws IOException {
        TarArchiveEntry e;
        while ((e = in.getNextEntry()) != null) {
            String path = normalize(name, e.getName());
            if (path.isEmpty() || hiddenBy(path, gone)) {
                continue;
            }
            e.setName(e.isDirectory() ? path + "/" : path);
            tar.putArchiveEntry(e);
            if (e.isFile() && !e.isLink()) {
                in.transferTo(tar);
            }
            tar.closeArchiveEntry();
        }
    }

    /** True when {@code path} or one of its parents is listed as deleted. */
    private static boolean hiddenBy(String path, Set<String> gone) {
        for (String p = path; ; p = p.substring(0, p.lastIndexOf('/'))) {
            if (gone.contains(p)) {
                return true;
            }
            if (p.indexOf('/') < 0) {
                return false;
            }
        }
    }

    /** The entry name without {@code ./}, leading or trailing slashes; refuses {@code ..}. */
    static String normalize(String archive, String raw) {
        StringBuilder b = new StringBuilder();
        for (String part : raw.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..") || part.indexOf('\0') >= 0) {
                throw ShimException.invalidArgument("archive " + archive + ": entry \"" + raw.replace('\0', '?')
                        + "\" leaves the root");
            }
            if (!b.isEmpty()) {
                b.append('/');
            }
            b.append(part);
        }
        return b.toString();
    }
}
