package dev.restoreshim.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link ProcessLauncher} through {@code posix_spawnp}. Each parent fd is first duplicated above
 * every target number (so a mapping like 3&rarr;4, 4&rarr;3 cannot clobber itself), the child
 * dup2s those copies onto the target numbers, then closes every other fd (the gaps below the
 * highest target one by one, everything above it with closefrom), so nothing the JVM left
 * inheritable leaks into the child.
 * The signal mask is cleared and all signal dispositions reset, since the calling JVM thread may
 * have blocked signals.
 */
public final class LinuxProcessLauncher implements ProcessLauncher {
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final long FILE_ACTIONS_SIZE = 256;
    private static final long ATTR_SIZE = 512;
    private static final long SIGSET_SIZE = 128;

    private final Fds fds;

    public LinuxProcessLauncher(Fds fds) {
        this.fds = fds;
    }

    @Override
    public int spawn(LaunchSpec spec) {
        List<Integer> owned = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            Map<Integer, Integer> mapping = new HashMap<>(spec.fds());
            for (int i = 0; i <= 2; i++) {
                if (!mapping.containsKey(i)) {
                    int nul = fds.open("/dev/null", Fds.O_RDWR, 0);
                    owned.add(nul);
                    mapping.put(i, nul);
                }
            }
            int highest = mapping.keySet().stream().mapToInt(Integer::intValue).max().orElse(2);
            Map<Integer, Integer> copyOf = new HashMap<>();
            for (var e : mapping.entrySet()) {
                int copy = dupAbove(e.getValue(), highest + 1);
                owned.add(copy);
                copyOf.put(e.getKey(), copy);
            }
            return spawn(a, spec, copyOf, highest);
        } finally {
            for (int fd : owned) {
                fds.close(fd);
            }
        }
    }

    private int spawn(Arena a, LaunchSpec spec, Map<Integer, Integer> copyOf, int highest) {
        try {
            MemorySegment actions = a.allocate(FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = a.allocate(ATTR_SIZE, 16);
            check((int) Native.FA_INIT.invokeExact(actions), spec);
            try {
                check((int) Native.ATTR_INIT.invokeExact(attr), spec);
                try {
                    for (var e : copyOf.entrySet()) {
                        check((int) Native.FA_ADDDUP2.invokeExact(actions, (int) e.getValue(), (int) e.getKey()), spec);
                    }
                    for (int gap = 3; gap < highest; gap++) {
                        if (!copyOf.containsKey(gap)) {
                            check((int) Native.FA_ADDCLOSE.invokeExact(actions, gap), spec);
                        }
                    }
                    check((int) Native.FA_ADDCLOSEFROM.invokeExact(actions, highest + 1), spec);
                    if (spec.workDir() != null) {
                        check((int) Native.FA_ADDCHDIR.invokeExact(actions, a.allocateFrom(spec.workDir().toString())), spec);
                    }
                    configureSignals(a, attr, spec);
                    MemorySegment pid = a.allocate(JAVA_INT);
                    MemorySegment file = a.allocateFrom(spec.argv().getFirst());
                    int rc = (int) Native.POSIX_SPAWNP.invokeExact(pid, file, actions, attr,
                            strings(a, spec.argv()), strings(a, envStrings(spec.env())));
                    if (rc != 0) {
                        throw SysException.of("posix_spawn", rc, spec.argv().getFirst());
                    }
                    return pid.get(JAVA_INT, 0);
                } finally {
                    int ignored = (int) Native.ATTR_DESTROY.invokeExact(attr);
                }
            } finally {
                int ignored = (int) Native.FA_DESTROY.invokeExact(actions);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    private static void configureSignals(Arena a, MemorySegment attr, LaunchSpec spec) throws Throwable {
        MemorySegment empty = a.allocate(SIGSET_SIZE, 8);
        MemorySegment all = a.allocate(SIGSET_SIZE, 8);
        check((int) Native.SIGEMPTYSET.invokeExact(empty), spec);
        check((int) Native.SIGFILLSET.invokeExact(all), spec);
        check((int) Native.ATTR_SETSIGMASK.invokeExact(attr, empty), spec);
        check((int) Native.ATTR_SETSIGDEFAULT.invokeExact(attr, all), spec);
        short flags = (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        check((int) Native.ATTR_SETFLAGS.invokeExact(attr, flags), spec);
    }

    private int dupAbove(int fd, int min) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            int copy = (int) Native.FCNTL_INT.invokeExact(st, fd, F_DUPFD_CLOEXEC, min);
            if (copy < 0) {
                throw SysException.of("fcntl", Native.errno(st), "F_DUPFD_CLOEXEC fd " + fd);
            }
            return copy;
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    private static List<String> envStrings(Map<String, String> env) {
        List<String> out = new ArrayList<>(env.size());
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    private static MemorySegment strings(Arena a, List<String> values) {
        MemorySegment array = a.allocate(ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ADDRESS, i, a.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }

    private static void check(int rc, LaunchSpec spec) {
        if (rc != 0) {
            throw SysException.of("posix_spawn", rc, spec.argv().getFirst());
        }
    }
}
