package dev.restoreshim.process;

import dev.restoreshim.runc.Runc;
import dev.restoreshim.runc.RuncSettings;
import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.LaunchSpec;
import dev.restoreshim.sys.LinuxFds;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.NoSuchProcessException;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A fake runc world for unit tests: the launcher plays runc (pid files, log lines, exit codes),
 * the reaper hands out futures the test completes, mounts and signals are recorded.
 */
final class FakeRuntime {
    static final int INIT_PID = 1000;

    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Map<Integer, CompletableFuture<ExitStatus>> processes = new ConcurrentHashMap<>();
    final Map<String, Integer> failCommands = new ConcurrentHashMap<>();
    final Map<String, String> failMessages = new ConcurrentHashMap<>();
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    volatile Consumer<String> duringCommand = c -> { };
    private int nextRuncPid = 1;
    private int nextExecPid = 2001;
    private final Path logDir;

    FakeRuntime(Path logDir) {
        this.logDir = logDir;
    }

    final ProcessLauncher launcher = (LaunchSpec spec) -> spawn(spec);

    private synchronized int spawn(LaunchSpec spec) {
        List<String> argv = spec.argv();
        String command = argv.get(7);
        calls.add(String.join(" ", argv.subList(7, argv.size())));
        int runcPid = nextRuncPid++;
        int fail = failCommands.getOrDefault(command, 0);
        if (fail != 0) {
            appendLog(argv.get(4), failMessages.getOrDefault(command, command + " failed"));
        } else {
            int i = argv.indexOf("--pid-file");
            if (i >= 0) {
                int pid = command.equals("exec") ? nextExecPid++ : INIT_PID;
                processes.put(pid, new CompletableFuture<>());
                write(Path.of(argv.get(i + 1)), pid + "\n");
            }
        }
        if (command.equals("ps") && fail == 0) {
            byte[] out = "[1000,2001,3000]".getBytes();
            new LinuxFds().write(spec.fds().get(1), out, 0, out.length);
        }
        duringCommand.accept(command);
        processes.put(-runcPid, CompletableFuture.completedFuture(ExitStatus.exited(fail, Instant.EPOCH)));
        return -runcPid; // negative: never a real pid, and tells the reaper it is a runc run
    }

    final Reaper reaper = new Reaper() {
        @Override
        public CompletableFuture<ExitStatus> watch(int pid) {
            return processes.computeIfAbsent(pid, p -> new CompletableFuture<>());
        }

        @Override
        public void close() {
        }
    };

    final Mounts mounts = new Mounts() {
        @Override
        public void mount(String source, String target, String fstype, long flags, String data) {
            if (source.equals("fail")) {
                throw new dev.restoreshim.sys.SysException("mount", 2, target);
            }
            calls.add("mount " + source + " " + target);
        }

        @Override
        public void unmount(String target, int flags) {
            calls.add("unmount " + target);
        }
    };

    final Signals signals = new Signals() {
        @Override
        public void kill(int pid, int signal) {
            calls.add("signal " + pid + " " + signal);
            CompletableFuture<ExitStatus> f = processes.get(pid);
            if (f == null || f.isDone()) {
                throw new NoSuchProcessException("kill", "pid " + pid);
            }
        }

        @Override
        public void pidfdSendSignal(int pidfd, int signal) {
            throw new UnsupportedOperationException();
        }
    };

    final ExitListener listener = new ExitListener() {
        @Override
        public void started(String containerId, String execId, int pid) {
            events.add("start " + label(execId) + " " + pid);
        }

        @Override
        public void exited(String containerId, String execId, int pid, ExitInfo exit) {
            events.add("exit " + label(execId) + " " + pid + " " + exit.exitStatus());
        }
    };

    ContainerDeps deps() {
        Runc runc = new Runc(new RuncSettings(Path.of("runc"), Path.of("/run/fake"), false), launcher, reaper,
                new LinuxFds(), logDir.resolve("log.json"));
        return new ContainerDeps(runc, mounts, new LinuxFds(), reaper, signals, listener, null);
    }

    /** Completes a container process's exit from another thread, as the real reaper does. */
    void exit(int pid, int code) {
        CompletableFuture<ExitStatus> f = processes.computeIfAbsent(pid, p -> new CompletableFuture<>());
        Thread.ofVirtual().start(() -> f.complete(ExitStatus.exited(code, Instant.now())));
    }

    static Path bundle(Path dir) {
        write(dir.resolve("config.json"), "{}");
        return dir;
    }

    private static String label(String execId) {
        return execId.isEmpty() ? "init" : execId;
    }

    private static void appendLog(String log, String msg) {
        try {
            Files.writeString(Path.of(log), "{\"level\":\"error\",\"msg\":\"" + msg + "\"}\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
