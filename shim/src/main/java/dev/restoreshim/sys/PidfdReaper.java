package dev.restoreshim.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Reaper} with one pidfd per watched process and a single epoll thread for all of them.
 * When a pidfd turns readable the process has exited; {@code waitid(P_PIDFD, WEXITED)} then reaps
 * it and yields its status. ECHILD (the process was not our child, e.g. a container re-adopted
 * after a restart) completes with {@link ExitStatus#unknown}.
 *
 * <p>Locking: {@code this} guards {@link #byPidfd} and {@link #byPid}; the epoll thread holds it
 * only while looking up or removing an entry, never during a system call that can block.
 */
public final class PidfdReaper implements Reaper {
    private static final Logger LOG = LoggerFactory.getLogger(PidfdReaper.class);
    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 1;
    private static final int EFD_CLOEXEC = 02000000;
    private static final int P_PID = 1;
    private static final int P_PIDFD = 3;
    private static final int WNOHANG = 1;
    private static final int WEXITED = 4;
    private static final int CLD_EXITED = 1;
    private static final int MAX_EVENTS = 64;
    private static final int EVENT_SIZE = 12; // packed struct epoll_event on x86_64

    private record Watch(int pid, CompletableFuture<ExitStatus> exit) {
    }

    private final Fds fds;
    private final Executor completions;
    private final Clock clock;
    private final int epfd;
    private final int wakeFd;
    private final Thread thread;
    private final Map<Integer, Watch> byPidfd = new HashMap<>();
    private final Map<Integer, Watch> byPid = new HashMap<>();
    private volatile boolean closed;

    /** A reaper completing futures on virtual threads. */
    public PidfdReaper(Fds fds) {
        this(fds, Executors.newVirtualThreadPerTaskExecutor(), Clock.systemUTC());
    }

    /** A reaper completing futures on {@code completions}, timestamping exits with {@code clock}. */
    public PidfdReaper(Fds fds, Executor completions, Clock clock) {
        this.fds = fds;
        this.completions = completions;
        this.clock = clock;
        this.epfd = call("epoll_create1", () -> (int) Native.EPOLL_CREATE1.invokeExact(st(), EPOLL_CLOEXEC));
        this.wakeFd = call("eventfd", () -> (int) Native.EVENTFD.invokeExact(st(), 0, EFD_CLOEXEC));
        control(EPOLL_CTL_ADD, wakeFd);
        this.thread = Thread.ofPlatform().daemon().name("pidfd-reaper").start(this::loop);
    }

    @Override
    public CompletableFuture<ExitStatus> watch(int pid) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("reaper closed");
            }
            Watch existing = byPid.get(pid);
            if (existing != null) {
                return existing.exit();
            }
            int pidfd;
            try {
                pidfd = call("pidfd_open", () -> (int) (long) Native.SYSCALL_PIDFD_OPEN.invokeExact(
                        st(), Native.SYS_PIDFD_OPEN, pid, 0));
            } catch (NoSuchProcessException gone) {
                return CompletableFuture.completedFuture(ExitStatus.unknown(clock.instant()));
            }
            Watch w = new Watch(pid, new CompletableFuture<>());
            byPidfd.put(pidfd, w);
            byPid.put(pid, w);
            control(EPOLL_CTL_ADD, pidfd);
            return w.exit();
        }
    }

    private void loop() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment events = a.allocate((long) EVENT_SIZE * MAX_EVENTS, 8);
            MemorySegment state = Native.callState(a);
            while (!closed) {
                int n = (int) Native.EPOLL_WAIT.invokeExact(state, epfd, events, MAX_EVENTS, -1);
                if (n < 0) {
                    if (Native.errno(state) == Errno.EINTR) {
                        continue;
                    }
                    LOG.error("msg=\"epoll_wait failed\" errno={}", Errno.name(Native.errno(state)));
                    return;
                }
                for (int i = 0; i < n; i++) {
                    int fd = (int) events.get(JAVA_LONG_UNALIGNED, (long) i * EVENT_SIZE + 4);
                    if (fd != wakeFd) {
                        try {
                            reap(fd);
                        } catch (RuntimeException e) {
                            LOG.error("msg=\"reap failed\" pidfd={} error=\"{}\"", fd, e.getMessage());
                        }
                    }
                }
            }
        } catch (Throwable t) {
            LOG.error("msg=\"reaper thread died\" error=\"{}\"", t.toString());
        }
    }

    private void reap(int pidfd) {
        Watch w;
        synchronized (this) {
            w = byPidfd.remove(pidfd);
            if (w != null) {
                byPid.remove(w.pid());
            }
        }
        control(EPOLL_CTL_DEL, pidfd);
        ExitStatus status = waitFor(pidfd);
        fds.close(pidfd);
        if (w != null) {
            completions.execute(() -> w.exit().complete(status));
        }
    }

    private ExitStatus waitFor(int pidfd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment info = a.allocate(128, 8);
            int rc;
            do {
                rc = (int) Native.WAITID.invokeExact(st, P_PIDFD, pidfd, info, WEXITED);
            } while (rc != 0 && Native.errno(st) == Errno.EINTR);
            Instant now = clock.instant();
            if (rc != 0) {
                return ExitStatus.unknown(now);
            }
            int code = info.get(JAVA_INT, 8);
            int status = info.get(JAVA_INT, 24);
            return code == CLD_EXITED ? ExitStatus.exited(status, now) : ExitStatus.signalled(status, now);
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    private void control(int op, int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(EVENT_SIZE, 8);
            ev.set(JAVA_INT, 0, EPOLLIN);
            ev.set(JAVA_LONG_UNALIGNED, 4, fd);
            MemorySegment st = Native.callState(a);
            int rc = (int) Native.EPOLL_CTL.invokeExact(st, epfd, op, fd, ev);
            if (rc != 0) {
                throw SysException.of("epoll_ctl", Native.errno(st), "fd " + fd);
            }
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    /**
     * Reaps zombie children that nobody watches: orphans re-parented to this process because it
     * is a child subreaper (for example from containers sharing the host pid namespace). Only
     * children in state Z, not watched here and accepted by {@code mayReap} are collected, so
     * pass a predicate that excludes pids of {@code ProcessBuilder} children, which the JDK reaps
     * itself. Meant to run periodically (every few seconds) from the daemon.
     *
     * @return how many zombies were reaped
     */
    public int reapOrphans(java.util.function.IntPredicate mayReap) {
        long self = ProcessHandle.current().pid();
        int reaped = 0;
        java.io.File[] entries = new java.io.File("/proc").listFiles((d, name) -> name.chars().allMatch(Character::isDigit));
        if (entries == null) {
            return 0;
        }
        for (java.io.File entry : entries) {
            int pid = Integer.parseInt(entry.getName());
            if (isZombieChildOf(pid, self) && !watched(pid) && mayReap.test(pid) && reapNow(pid)) {
                reaped++;
            }
        }
        return reaped;
    }

    private synchronized boolean watched(int pid) {
        return byPid.containsKey(pid);
    }

    private static boolean isZombieChildOf(int pid, long parent) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Integer.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return f[0].equals("Z") && Long.parseLong(f[1]) == parent;
        } catch (java.io.IOException | RuntimeException gone) {
            return false;
        }
    }

    private boolean reapNow(int pid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.callState(a);
            MemorySegment info = a.allocate(128, 8);
            int rc = (int) Native.WAITID.invokeExact(st, P_PID, pid, info, WEXITED | WNOHANG);
            boolean done = rc == 0 && info.get(JAVA_INT, 16) == pid;
            if (done) {
                LOG.info("msg=\"reaped orphan\" pid={} code={} status={}", pid, info.get(JAVA_INT, 8), info.get(JAVA_INT, 24));
            }
            return done;
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }

    @Override
    public void close() {
        Map<Integer, Watch> pending;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pending = new HashMap<>(byPidfd);
            byPidfd.clear();
            byPid.clear();
        }
        byte[] one = {1, 0, 0, 0, 0, 0, 0, 0};
        fds.write(wakeFd, one, 0, 8);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pending.forEach((pidfd, w) -> {
            fds.close(pidfd);
            w.exit().completeExceptionally(new IllegalStateException("reaper closed before pid " + w.pid() + " exited"));
        });
        fds.close(wakeFd);
        fds.close(epfd);
    }

    // --- errno-capturing call plumbing -------------------------------------------------------

    private interface IntCall {
        int call() throws Throwable;
    }

    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Native.CALL_STATE));

    private static MemorySegment st() {
        return STATE.get();
    }

    private static int call(String name, IntCall c) {
        try {
            int rc = c.call();
            if (rc < 0) {
                throw SysException.of(name, Native.errno(st()), "");
            }
            return rc;
        } catch (Throwable t) {
            throw Native.linkFailure(t);
        }
    }
}
