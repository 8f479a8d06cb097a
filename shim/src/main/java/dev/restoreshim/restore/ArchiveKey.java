package dev.restoreshim.restore;

import dev.restoreshim.errors.ShimException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The delta cache key of a checkpoint archive: a cheap, stable stand-in for the digest of its
 * content. Hashing a multi-GiB archive would cost as much as reading it, so the key is
 * {@code sha256(real path NUL size NUL mtime-ns NUL inode NUL first 64 KiB)}. The same file,
 * unchanged, always gives the same key; rewriting it (new size, mtime or inode, or other leading
 * bytes: the first members of a tar hold its metadata) gives a new one. What it does not catch:
 * an in-place rewrite that keeps size, mtime and the first 64 KiB, which only a deliberate
 * {@code touch -d} after editing the middle of the file can produce.
 */
public final class ArchiveKey {
    /** Leading bytes hashed into the key. */
    static final int HEAD_BYTES = 64 * 1024;

    private ArchiveKey() {
    }

    /** {@code sha256:<hex>} for the archive at {@code archive}. */
    public static String of(Path archive) {
        try {
            Path real = archive.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long mtimeNs = a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
            String ident = real + "\0" + a.size() + "\0" + mtimeNs + "\0" + a.fileKey() + "\0";
            sha.update(ident.getBytes(StandardCharsets.UTF_8));
            try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ)) {
                ByteBuffer head = ByteBuffer.allocate((int) Math.min(HEAD_BYTES, a.size()));
                while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
                    // positional reads until the head is full
                }
                head.flip();
                sha.update(head);
            }
            return "sha256:" + HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw ShimException.invalidArgument("archive " + archive + ": cannot read for its cache key: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
