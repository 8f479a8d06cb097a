package dev.restoreshim.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Broken checkpoint archives made from a good containerd one (its members held by
 * {@link ArchiveMembers}), one file each, for the failure cases of {@link RestoreFailureIT}.
 */
final class BadArchives {
    private final Path good;
    private final ArchiveMembers members;
    private final Path dir;

    BadArchives(Path good, Path dir) throws IOException {
        this.good = good;
        this.members = ArchiveMembers.read(good);
        this.dir = dir;
    }

    /** The good archive's bytes with the tar header of its {@code checkpoint/inventory.img} overwritten by garbage. */
    Path corruptHeader() throws IOException {
        byte[] bytes = Files.readAllBytes(good);
        byte[] name = "checkpoint/inventory.img".getBytes(StandardCharsets.US_ASCII);
        for (int off = 0; off + 512 <= bytes.length; off += 512) {
            if (Arrays.equals(bytes, off, off + name.length, name, 0, name.length) && bytes[off + name.length] == 0) {
                Arrays.fill(bytes, off, off + 512, (byte) 'Z');
                return write("corrupt-header.tar", bytes);
            }
        }
        throw new AssertionError("no tar header of checkpoint/inventory.img in " + good);
    }

    /** The archive gzip-compressed, with a run of bytes in the middle of the compressed stream garbled. */
    Path corruptGzip() throws IOException {
        byte[] gz = members.toTarGz();
        Arrays.fill(gz, gz.length / 2, gz.length / 2 + 64, (byte) 0x55);
        return write("corrupt.tar.gz", gz);
    }

    /** The first half of the good archive. */
    Path truncated() throws IOException {
        byte[] bytes = Files.readAllBytes(good);
        return write("truncated.tar", Arrays.copyOf(bytes, bytes.length / 2));
    }

    /** An outer member named {@code ../rsit-escape}. */
    Path dotDot() throws IOException {
        return write("dotdot.tar", members.plus(ArchiveMembers.Member.file("../rsit-escape", "x".getBytes())).toTar());
    }

    /** A delta entry with the absolute name {@code /etc/rsit-absolute}. */
    Path absoluteInDelta() throws IOException {
        TarArchiveEntry e = new TarArchiveEntry("/etc/rsit-absolute", true);
        e.setSize(1);
        return withDeltaEntry("absolute-delta.tar", new ArchiveMembers.Member(e, new byte[] {'x'}));
    }

    /** Where {@link #symlinkEscapeInDelta} would write if extraction followed its symlink. */
    static final Path ESCAPED = Path.of("/tmp/rsit-escaped-" + ProcessHandle.current().pid());

    /**
     * A delta symlink {@code etc/rsit-up -> ../../../../../../../../../../tmp}, which leaves the root,
     * followed by a file {@code etc/rsit-up/<name of ESCAPED>} that would land in the host's /tmp
     * if extraction followed it.
     */
    Path symlinkEscapeInDelta() throws IOException {
        TarArchiveEntry link = new TarArchiveEntry("etc/rsit-up", TarConstants.LF_SYMLINK);
        link.setLinkName("../../../../../../../../../../tmp");
        TarArchiveEntry through = new TarArchiveEntry("etc/rsit-up/" + ESCAPED.getFileName());
        through.setSize(1);
        return withDeltaEntry("symlink-delta.tar", new ArchiveMembers.Member(link, new byte[0]),
                new ArchiveMembers.Member(through, new byte[] {'x'}));
    }

    /** A delta with the character device 1:3 {@code etc/rsit-null}. */
    Path deviceInDelta() throws IOException {
        TarArchiveEntry e = new TarArchiveEntry("etc/rsit-null", TarConstants.LF_CHR);
        e.setDevMajor(1);
        e.setDevMinor(3);
        e.setMode(0666);
        return withDeltaEntry("device-delta.tar", new ArchiveMembers.Member(e, new byte[0]));
    }

    /** The archive without {@code checkpoint/inventory.img}. */
    Path withoutInventory() throws IOException {
        return write("no-inventory.tar", members.without("checkpoint/inventory.img").toTar());
    }

    /** The archive with CRIU's core image of the first task overwritten by garbage of the same size. */
    Path corruptCoreImage() throws IOException {
        String core = members.names().stream().filter(n -> n.matches("checkpoint/core-\\d+\\.img")).sorted().findFirst()
                .orElseThrow(() -> new AssertionError("no core image in " + members.names()));
        return write("corrupt-core.tar", members.replace(core, m -> {
            byte[] garbage = new byte[m.data().length];
            Arrays.fill(garbage, (byte) 0x5a);
            return m.withData(garbage);
        }).toTar());
    }

    /** The good archive gzip-compressed (its images only known by streaming it). */
    Path gzipped() throws IOException {
        return write("gzipped.tar.gz", members.toTarGz());
    }

    private Path withDeltaEntry(String name, ArchiveMembers.Member... extra) throws IOException {
        ArchiveMembers delta = ArchiveMembers.parse(members.get(ArchiveMembers.DELTA).data()).plus(extra);
        return write(name, members.replace(ArchiveMembers.DELTA, m -> m.withData(gzip(delta))).toTar());
    }

    private static byte[] gzip(ArchiveMembers delta) {
        try {
            return delta.toTarGz();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** Names of the cache dir's entries (complete layers and any {@code .tmp-}/{@code .del-} leftovers). */
    static List<String> cacheNames(Path cache) throws IOException {
        if (!Files.isDirectory(cache)) {
            return List.of();
        }
        try (var s = Files.list(cache)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
