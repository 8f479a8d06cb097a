package dev.restoreshim.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which pages of disk-backed files a process and its descendants dirty in a window, told apart as
 * file data or file system metadata, from the kernel's own trace events (tracefs):
 * {@code writeback:writeback_dirty_folio} (the bdi, inode and page index of each page that
 * becomes dirty, in the context of the task that dirtied it) and {@code sched:sched_process_fork}
 * (to follow the process tree: runc, CRIU and the restored task are children of the node
 * daemon), with {@code options/record-tgid}. A page of the block device's own inode, whose number
 * is the device number ({@code major << 20 | minor}), is metadata (ext4's inode tables, directory
 * blocks, journal); any other is file data. {@link RuntimeWrites}' {@code write_bytes} counts both
 * without telling them apart.
 *
 * <p>Counts are of folios, each at least one 4 KiB page. One window at a time (the trace is
 * global); tracefs is mounted on {@code /sys/kernel/tracing} if it is not, and put back as found
 * when the JVM exits. Without tracefs (no root, lockdown) {@link #start} returns null.
 */
final class DirtyPages {
    private static final Path TRACING = Path.of("/sys/kernel/tracing");
    private static final String[] EVENTS = {"writeback/writeback_dirty_folio", "sched/sched_process_fork"};
    private static final Pattern LINE = Pattern.compile("^\\s*.+?-(\\d+)\\s+\\(\\s*([0-9-]+)\\)\\s+\\[\\d+\\]\\s+\\S+\\s+[0-9.]+: (\\w+): (.*)$");
    private static final Pattern FORK = Pattern.compile("child_pid=(\\d+)");
    private static final Pattern DIRTY = Pattern.compile("bdi (\\d+):(\\d+): ino=(\\d+) ");
    /** The header line saying how many events the buffer holds of those written (fewer: overwritten). */
    private static final Pattern ENTRIES = Pattern.compile("entries-in-buffer/entries-written: (\\d+)/(\\d+)");
    private static boolean mountedByUs;
    private static Boolean available;

    /**
     * Folios dirtied in a window; {@code lost}: the trace buffer overflowed, the counts are low;
     * {@code dataSeen}: the first few data folios as "comm-pid bdi ino index", to find the file.
     */
    record Folios(long data, long metadata, boolean lost, List<String> dataSeen, Map<Long, Long> dataByInode) {
        /** Data folios of {@code inode}. */
        long dataOf(long inode) {
            return dataByInode.getOrDefault(inode, 0L);
        }

        String describe() {
            return "data %d, fs metadata %d%s".formatted(data, metadata, lost ? " (events lost)" : "");
        }

        /** {@link #describe} with the data folios seen first, for a failure message. */
        String describeWithPages() {
            return describe() + (dataSeen.isEmpty() ? "" : " " + dataSeen);
        }
    }

    private final long root;

    private DirtyPages(long root) {
        this.root = root;
    }

    /** Starts recording for {@code pid} and its descendants; null when tracefs cannot be used. */
    static synchronized DirtyPages start(long pid) {
        if (!ensureTracefs()) {
            return null;
        }
        write("tracing_on", "0");
        write("trace", "");
        for (String e : EVENTS) {
            write("events/" + e + "/enable", "1");
        }
        write("tracing_on", "1");
        return new DirtyPages(pid);
    }

    /** Stops recording and counts what {@code pid}'s process tree dirtied. */
    Folios stop() {
        synchronized (DirtyPages.class) {
            return count();
        }
    }

    private Folios count() {
        write("tracing_on", "0");
        for (String e : EVENTS) {
            write("events/" + e + "/enable", "0");
        }
        Set<Long> tree = new HashSet<>(Set.of(root));
        long data = 0;
        long metadata = 0;
        boolean lost = false;
        List<String> dataSeen = new ArrayList<>();
        Map<Long, Long> dataByInode = new HashMap<>();
        try (var lines = Files.lines(TRACING.resolve("trace"))) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.startsWith("#")) {
                    Matcher e = ENTRIES.matcher(line);
                    lost |= e.find() && Long.parseLong(e.group(1)) < Long.parseLong(e.group(2));
                    continue;
                }
                lost |= line.contains("LOST") && line.contains("EVENTS");
                Matcher m = LINE.matcher(line);
                if (!m.matches() || m.group(2).startsWith("-")) {
                    continue;
                }
                boolean ours = tree.contains(Long.parseLong(m.group(2))) || tree.contains(Long.parseLong(m.group(1)));
                if (!ours) {
                    continue;
                }
                if (m.group(3).equals("sched_process_fork")) {
                    Matcher f = FORK.matcher(m.group(4));
                    if (f.find()) {
                        tree.add(Long.parseLong(f.group(1)));
                    }
                } else if (m.group(3).equals("writeback_dirty_folio")) {
                    Matcher d = DIRTY.matcher(m.group(4) + " ");
                    boolean parsed = d.find();
                    if (parsed && Long.parseLong(d.group(3))
                            == (Long.parseLong(d.group(1)) << 20 | Long.parseLong(d.group(2)))) {
                        metadata++;
                    } else {
                        data++;
                        if (parsed) {
                            dataByInode.merge(Long.parseLong(d.group(3)), 1L, Long::sum);
                        }
                        if (dataSeen.size() < 8) {
                            dataSeen.add(line.strip().replaceAll("\\s+", " "));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("read " + TRACING.resolve("trace"), e);
        }
        write("trace", "");
        return new Folios(data, metadata, lost, dataSeen, dataByInode);
    }

    private static boolean ensureTracefs() {
        if (available != null) {
            return available;
        }
        available = false;
        if (!Files.exists(TRACING.resolve("trace"))) {
            if (HostCommand.of("mount", "-t", "tracefs", "nodev", TRACING.toString()).run().exitCode() != 0) {
                return false;
            }
            mountedByUs = true;
        }
        try {
            String tgid = Files.readString(TRACING.resolve("options/record-tgid")).strip();
            String buffer = Files.readString(TRACING.resolve("buffer_size_kb")).strip();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> restore(tgid, buffer)));
            write("options/record-tgid", "1");
            write("buffer_size_kb", "16384");
            available = true;
        } catch (IOException | UncheckedIOException e) {
            restore("0", "1408");
        }
        return available;
    }

    private static void restore(String tgid, String buffer) {
        try {
            write("tracing_on", "0");
            for (String e : EVENTS) {
                write("events/" + e + "/enable", "0");
            }
            write("trace", "");
            write("options/record-tgid", tgid);
            write("buffer_size_kb", buffer.replaceAll("\\D.*", ""));
        } catch (UncheckedIOException e) {
            // best effort at exit
        }
        if (mountedByUs) {
            HostCommand.of("umount", TRACING.toString()).run();
        }
    }

    private static void write(String file, String value) {
        try {
            Files.writeString(TRACING.resolve(file), value.isEmpty() ? "\n" : value);
        } catch (IOException e) {
            throw new UncheckedIOException("write " + TRACING.resolve(file), e);
        }
    }
}
