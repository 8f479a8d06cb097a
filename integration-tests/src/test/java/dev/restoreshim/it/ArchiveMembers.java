package dev.restoreshim.it;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The members of a checkpoint archive (or of its {@code rootfs-diff.tar}) held in memory, to build
 * other archives from a real one: re-packed in another engine's layout, recompressed, or broken on
 * purpose. Test archives are a few MiB.
 *
 * @param members the tar members in archive order
 */
public record ArchiveMembers(List<Member> members) {

    /** The outer delta member of every flavour. */
    public static final String DELTA = "rootfs-diff.tar";

    /** One member: its header (name, type, mode, link, device numbers) and its data. */
    public record Member(TarArchiveEntry entry, byte[] data) {
        public String name() {
            return entry.getName();
        }

        /** A regular file member. */
        public static Member file(String name, byte[] data) {
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(data.length);
            e.setMode(0644);
            return new Member(e, data);
        }

        /** This member with other data: a copy of the header (name, type, mode, owner, time) with the new size. */
        public Member withData(byte[] newData) {
            TarArchiveEntry copy = new TarArchiveEntry(entry.getName(), entry.getLinkFlag());
            copy.setMode(entry.getMode());
            copy.setUserId(entry.getLongUserId());
            copy.setGroupId(entry.getLongGroupId());
            copy.setModTime(entry.getModTime());
            copy.setSize(newData.length);
            return new Member(copy, newData);
        }
    }

    /** The outer compression of a written archive. */
    public enum Compression { NONE, GZIP, ZSTD }

    /** Reads an uncompressed or gzip tar file. */
    public static ArchiveMembers read(Path archive) throws IOException {
        return parse(Files.readAllBytes(archive));
    }

    /** Reads tar bytes, gunzipping them first when they start with the gzip magic. */
    public static ArchiveMembers parse(byte[] tar) throws IOException {
        List<Member> out = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(maybeGunzip(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                out.add(new Member(e, in.readAllBytes()));
            }
        }
        return new ArchiveMembers(out);
    }

    /** True when {@code data} starts with the gzip magic. */
    public static boolean isGzip(byte[] data) {
        return data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b;
    }

    /** The member named {@code name}. */
    public Member get(String name) {
        return members.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no member " + name + " in " + names()));
    }

    /** Member names in order. */
    public List<String> names() {
        return members.stream().map(Member::name).toList();
    }

    /** A copy without the members named in {@code names}. */
    public ArchiveMembers without(String... names) {
        List<String> gone = List.of(names);
        return new ArchiveMembers(members.stream().filter(m -> !gone.contains(m.name())).toList());
    }

    /** A copy with {@code extra} appended. */
    public ArchiveMembers plus(Member... extra) {
        List<Member> out = new ArrayList<>(members);
        out.addAll(List.of(extra));
        return new ArchiveMembers(out);
    }

    /** A copy with the member named {@code name} replaced by {@code change}'s result. */
    public ArchiveMembers replace(String name, UnaryOperator<Member> change) {
        get(name);
        return new ArchiveMembers(members.stream().map(m -> m.name().equals(name) ? change.apply(m) : m).toList());
    }

    /**
     * This containerd archive re-packed in the CRI-O/Podman layout: its gzip OCI-layer delta becomes
     * a plain {@code rootfs-diff.tar} without whiteouts followed by a JSON {@code deleted.files}
     * listing what the whiteouts deleted (Podman's member order), containerd's {@code status} goes
     * and Podman's {@code network.status} comes.
     */
    public ArchiveMembers inPodmanLayout() throws IOException {
        ArchiveMembers delta = parse(get(DELTA).data());
        List<Member> kept = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        for (Member m : delta.members()) {
            String name = m.name().replaceFirst("/$", "");
            int slash = name.lastIndexOf('/');
            String base = name.substring(slash + 1);
            if (base.equals(".wh..wh..opq")) {
                throw new AssertionError("an opaque directory has no deleted.files form: " + m.name());
            }
            if (base.startsWith(".wh.")) {
                deleted.add("\"/" + name.substring(0, slash + 1) + base.substring(4) + "\"");
            } else {
                kept.add(m);
            }
        }
        List<Member> out = new ArrayList<>();
        for (Member m : members) {
            if (m.name().equals(DELTA)) {
                out.add(Member.file(DELTA, new ArchiveMembers(kept).toTar()));
                out.add(Member.file("deleted.files", ("[" + String.join(",", deleted) + "]").getBytes()));
            } else if (!m.name().equals("status")) {
                out.add(m);
            }
        }
        out.add(Member.file("network.status", "[]".getBytes()));
        return new ArchiveMembers(out);
    }

    /** The uncompressed tar bytes (POSIX long names). */
    public byte[] toTar() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Member m : members) {
                out.putArchiveEntry(m.entry());
                out.write(m.data());
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The gzip-compressed tar bytes. */
    public byte[] toTarGz() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(toTar());
        }
        return bytes.toByteArray();
    }

    /** Writes the archive to {@code file} (zstd through the {@code zstd} tool); returns {@code file}. */
    public Path write(Path file, Compression compression) throws IOException {
        switch (compression) {
            case NONE -> Files.write(file, toTar());
            case GZIP -> Files.write(file, toTarGz());
            case ZSTD -> {
                Path plain = file.resolveSibling(file.getFileName() + ".plain");
                Files.write(plain, toTar());
                try {
                    HostCommand.of("zstd", "-q", "-f", "-3", "-o", file.toString(), plain.toString())
                            .withTimeout(Duration.ofSeconds(60)).check();
                } finally {
                    Files.deleteIfExists(plain);
                }
            }
        }
        return file;
    }

    private static InputStream maybeGunzip(byte[] data) throws IOException {
        InputStream in = new ByteArrayInputStream(data);
        return isGzip(data) ? new GZIPInputStream(in) : in;
    }
}
