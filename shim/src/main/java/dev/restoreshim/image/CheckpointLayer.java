package dev.restoreshim.image;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.TarEntry;
import dev.restoreshim.errors.ShimException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The restore image's top layer: an uncompressed tar holding only {@value #DIR}/ (mode 0700, owner
 * 0): every CRIU image of the archive's {@code checkpoint/} as {@value #DIR}/checkpoint/NAME (mode
 * 0600), then {@value #DIR}/restore.json, whose content depends on the images (sizes and hashes
 * gathered while they stream). Uncompressed, its digest is its diff_id.
 */
public final class CheckpointLayer {
    /** The reserved directory at the root of the layer. */
    public static final String DIR = ".restore-shim";
    /** Where the CRIU images are, under the layer's root. */
    public static final String IMAGES = DIR + "/checkpoint";
    /** The metadata file. */
    public static final String METADATA = DIR + "/restore.json";
    /** Images smaller than this carry a sha256 in restore.json. */
    public static final long HASHED_BELOW = 1L << 20;

    private CheckpointLayer() {
    }

    /** One CRIU image as restore.json lists it; {@code sha256} (hex) is null for large images. */
    public record Image(String name, long size, String sha256) {
    }

    /**
     * The written layer.
     *
     * @param descriptor the tar blob (its digest is also its diff_id)
     * @param images the images it holds, in layer order
     * @param metadata the bytes of restore.json
     */
    public record Result(Descriptor descriptor, List<Image> images, byte[] metadata) {
    }

    /**
     * Streams the images of {@code archive} and then the metadata {@code render} makes of them into
     * {@code out}, and finishes the blob.
     *
     * @param mtime modification time of every entry (seconds since the epoch), for reproducible layers
     * @throws ShimException INVALID_ARGUMENT when {@code checkpoint/} holds something other than
     *     regular files directly in it
     */
    public static Result write(CheckpointArchive archive, long mtime, Function<List<Image>, byte[]> render, BlobOutput out) {
        String name = archive.path().toString();
        List<Image> images = new ArrayList<>();
        try {
            TarArchiveOutputStream tar = new TarArchiveOutputStream(new FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() {
                    // the caller finishes the blob
                }
            });
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            directory(tar, DIR, mtime);
            directory(tar, IMAGES, mtime);
            archive.forEach(e -> e.isUnder("checkpoint"), (entry, data) -> {
                checkImage(name, entry);
                TarArchiveEntry t = file(IMAGES + "/" + entry.fileName(), entry.size(), mtime);
                tar.putArchiveEntry(t);
                MessageDigest hash = entry.size() < HASHED_BELOW ? Digests.sha256() : null;
                byte[] buf = new byte[1 << 20];
                long copied = 0;
                int n;
                while ((n = data.read(buf)) > 0) {
                    tar.write(buf, 0, n);
                    if (hash != null) {
                        hash.update(buf, 0, n);
                    }
                    copied += n;
                }
                if (copied != entry.size()) {
                    throw ShimException.invalidArgument("archive " + name + ": entry \"" + entry.name() + "\": "
                            + copied + " bytes of " + entry.size());
                }
                tar.closeArchiveEntry();
                images.add(new Image(entry.fileName(), entry.size(), hash == null ? null : HexFormat.of().formatHex(hash.digest())));
            });
            if (images.stream().noneMatch(i -> i.name().equals("inventory.img"))) {
                throw ShimException.invalidArgument("archive " + name + ": no checkpoint/inventory.img: it holds no CRIU checkpoint");
            }
            byte[] metadata = render.apply(List.copyOf(images));
            tar.putArchiveEntry(file(METADATA, metadata.length, mtime));
            tar.write(metadata);
            tar.closeArchiveEntry();
            tar.finish();
            return new Result(out.finish(MediaTypes.OCI_LAYER_TAR), List.copyOf(images), metadata);
        } catch (IOException e) {
            throw ShimException.failedPrecondition("archive " + name + ": writing the checkpoint layer: " + e.getMessage());
        }
    }

    private static void checkImage(String archive, TarEntry entry) {
        String inside = entry.name().substring("checkpoint/".length());
        if (!entry.isFile() || inside.contains("/")) {
            throw ShimException.invalidArgument("archive " + archive + ": entry \"" + entry.name()
                    + "\": only regular files directly in checkpoint/ are CRIU images");
        }
    }

    private static void directory(TarArchiveOutputStream tar, String path, long mtime) throws IOException {
        TarArchiveEntry d = new TarArchiveEntry(path + "/");
        d.setMode(040700);
        d.setIds(0, 0);
        d.setModTime(mtime * 1000);
        tar.putArchiveEntry(d);
        tar.closeArchiveEntry();
    }

    private static TarArchiveEntry file(String path, long size, long mtime) {
        TarArchiveEntry f = new TarArchiveEntry(path);
        f.setMode(0100600);
        f.setIds(0, 0);
        f.setSize(size);
        f.setModTime(mtime * 1000);
        return f;
    }
}
