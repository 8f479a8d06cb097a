package dev.restoreshim.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarIndexTest {
    @TempDir
    Path dir;

    private static final String LONG = "deep/" + "d".repeat(120) + "/" + "f".repeat(150) + ".img";

    private Map<String, byte[]> contents() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        int[] sizes = {0, 1, 511, 512, 513, 4096, 100_003};
        for (int i = 0; i < sizes.length; i++) {
            m.put("files/f" + sizes[i], CheckpointFixtures.random(sizes[i], i));
        }
        m.put(LONG, CheckpointFixtures.random(777, 99));
        return m;
    }

    private Path archive(int longFileMode) {
        TarBuilder b = new TarBuilder(longFileMode).dir("files");
        contents().forEach(b::file);
        b.symlink("files/link", "f1").hardlink("files/hard", "files/f1");
        return CheckpointFixtures.write(dir.resolve("a.tar"), b.build());
    }

    private static TarIndex scan(FileChannel ch) throws IOException {
        return TarIndex.scan("a.tar", ch, 0, ch.size(), EntryPolicy.defaults());
    }

    @Test
    void scan_paxLongNames_offsetsReadBackExactly() throws IOException {
        checkOffsets(archive(TarArchiveOutputStream.LONGFILE_POSIX));
    }

    @Test
    void scan_gnuLongNames_offsetsReadBackExactly() throws IOException {
        checkOffsets(archive(TarArchiveOutputStream.LONGFILE_GNU));
    }

    private void checkOffsets(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            TarIndex index = scan(ch);
            for (Map.Entry<String, byte[]> want : contents().entrySet()) {
                TarEntry e = index.entry(want.getKey()).orElseThrow();
                assertEquals(want.getValue().length, e.size(), e.name());
                ByteBuffer raw = ByteBuffer.allocate(want.getValue().length);
                ch.read(raw, index.fileOffset(e));
                assertArrayEquals(want.getValue(), raw.array(), "bytes at the indexed offset of " + e.name());
                try (InputStream in = index.open(e)) {
                    assertArrayEquals(want.getValue(), in.readAllBytes(), "stream of " + e.name());
                }
                ByteArrayOutputStream copy = new ByteArrayOutputStream();
                assertEquals(e.size(), index.transferTo(e, Channels.newChannel(copy)));
                assertArrayEquals(want.getValue(), copy.toByteArray());
            }
            assertEquals(EntryType.DIRECTORY, index.entry("files").orElseThrow().type());
            TarEntry link = index.entry("files/link").orElseThrow();
            assertEquals(EntryType.SYMLINK, link.type());
            assertEquals("f1", link.linkTarget());
            assertEquals(EntryType.HARDLINK, index.entry("files/hard").orElseThrow().type());
            assertEquals(0644, index.entry("files/f1").orElseThrow().mode());
        }
    }

    @Test
    void scan_streamAndIndex_agreeOnEveryEntry() throws IOException {
        Path file = archive(TarArchiveOutputStream.LONGFILE_POSIX);
        List<TarEntry> streamed = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file); InputStream in = new ByteArrayInputStream(java.nio.file.Files.readAllBytes(file))) {
            TarStream.read("a.tar", in, EntryPolicy.defaults(), e -> true, (e, data) -> {
                streamed.add(e);
                assertArrayEquals(contents().getOrDefault(e.name(), new byte[0]), data.readAllBytes());
            });
            assertEquals(scan(ch).entries(), streamed);
        }
    }

    @Test
    void scan_dotSlashNames_areNormalizedAndRootSkipped() throws IOException {
        byte[] tar = TarBuilder.concat(TarBuilder.rawHeader("./", '5', 0, ""), TarBuilder.rawHeader("./a/./b", '0', 3, ""),
                new byte[512], new byte[1024]);
        try (FileChannel ch = FileChannel.open(CheckpointFixtures.write(dir.resolve("d.tar"), tar))) {
            TarIndex index = scan(ch);
            assertEquals(List.of("a/b"), index.entries().stream().map(TarEntry::name).toList());
        }
    }

    @Test
    void scan_manyRootEntries_noRecursion() throws IOException {
        byte[][] parts = new byte[20_002][];
        for (int i = 0; i < 20_000; i++) {
            parts[i] = TarBuilder.rawHeader("./", '5', 0, "");
        }
        parts[20_000] = TarBuilder.rawHeader("x", '0', 0, "");
        parts[20_001] = new byte[1024];
        try (FileChannel ch = FileChannel.open(CheckpointFixtures.write(dir.resolve("roots.tar"), TarBuilder.concat(parts)))) {
            assertEquals(List.of("x"), scan(ch).entries().stream().map(TarEntry::name).toList());
        }
    }

    @Test
    void scan_endlessLongNameRecords_areRefused() throws IOException {
        byte[][] parts = new byte[40][];
        for (int i = 0; i < 40; i += 2) {
            parts[i] = TarBuilder.rawHeader("././@LongLink", 'L', 3, "");
            parts[i + 1] = java.util.Arrays.copyOf("abc".getBytes(), 512);
        }
        try (FileChannel ch = FileChannel.open(CheckpointFixtures.write(dir.resolve("ll.tar"), TarBuilder.concat(parts)))) {
            ShimException e = assertThrows(ShimException.class, () -> scan(ch));
            assertTrue(e.getMessage().contains("long-name or PAX records in a row"), e.getMessage());
        }
    }

    @Test
    void scan_duplicateName_laterMemberWins() throws IOException {
        byte[] tar = new TarBuilder().file("x", "old").file("y", "y").file("x", "newer").build();
        try (FileChannel ch = FileChannel.open(CheckpointFixtures.write(dir.resolve("dup.tar"), tar))) {
            TarIndex index = scan(ch);
            assertEquals(List.of("y", "x"), index.entries().stream().map(TarEntry::name).toList());
            assertEquals("newer", new String(index.open("x").readAllBytes()));
        }
    }

    @Test
    void open_missingEntry_isNotFound() throws IOException {
        try (FileChannel ch = FileChannel.open(archive(TarArchiveOutputStream.LONGFILE_POSIX))) {
            ShimException e = assertThrows(ShimException.class, () -> scan(ch).open("nope"));
            assertEquals(ErrorKind.NOT_FOUND, e.kind());
            assertTrue(e.getMessage().contains("\"nope\""), e.getMessage());
        }
    }

    @Test
    void scan_missingEndBlocks_isAccepted() throws IOException {
        byte[] tar = TarBuilder.concat(TarBuilder.rawHeader("a", '0', 2, ""), new byte[512]);
        try (FileChannel ch = FileChannel.open(CheckpointFixtures.write(dir.resolve("e.tar"), tar))) {
            assertEquals(1, scan(ch).entries().size());
        }
    }

    @Test
    void scan_readsNoData_onlyHeaders() throws IOException {
        // a 64 MiB member of zeros inside a sparse file: scanning must not read it, so it stays fast
        Path file = dir.resolve("big.tar");
        try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.READ)) {
            long size = 64L << 20;
            ch.write(ByteBuffer.wrap(TarBuilder.rawHeader("huge", '0', size, "")), 0);
            ch.write(ByteBuffer.wrap(TarBuilder.rawHeader("after", '0', 5, "")), 512 + size);
            ch.write(ByteBuffer.wrap("hello".getBytes()), 1024 + size);
            ch.write(ByteBuffer.wrap(new byte[1024 + 507]), 1029 + size);
            long t0 = System.nanoTime();
            TarIndex index = scan(ch);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("hello", new String(index.open("after").readAllBytes()));
            assertFalse(ms > 2000, "scan took " + ms + " ms");
        }
    }
}
