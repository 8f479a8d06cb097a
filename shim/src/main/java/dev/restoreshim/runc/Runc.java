package dev.restoreshim.runc;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.ExitStatus;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.LaunchSpec;
import dev.restoreshim.sys.NoSuchProcessException;
import dev.restoreshim.sys.ProcessLauncher;
import dev.restoreshim.sys.Reaper;
import dev.restoreshim.sys.Signals;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The runc command line, typed. Every command runs with {@code --log <file> --log-format json};
 * a failure becomes a {@link RuncException} quoting the last error line runc logged during that
 * call. Processes are started only through the injected {@link ProcessLauncher} and their exit is
 * taken from the injected {@link Reaper}: this class never waits on a pid itself.
 *
 * <p>Instances are immutable; {@link #withLog} gives the per-container instance (the runc shim
 * uses {@code <bundle>/log.json}). Calls block the calling thread until runc exits, or until the
 * command's deadline ({@link #withDeadlines}) passes: runc is then killed and the call fails with
 * DEADLINE_EXCEEDED.
 */
public final class Runc {
    private static final Logger LOG = LoggerFactory.getLogger(Runc.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RuncSettings settings;
    private final ProcessLauncher launcher;
    private final Reaper reaper;
    private final Fds fds;
    private final Path logFile;
    private final RuncDeadlines deadlines;
    private final Signals signals;
    /** runc's environment (runc runs {@code criu} from its PATH). */
    private final Map<String, String> env;

    /**
     * A runc run through {@code launcher}, awaited through {@code reaper}, logging to
     * {@code logFile}, without deadlines.
     */
    public Runc(RuncSettings settings, ProcessLauncher launcher, Reaper reaper, Fds fds, Path logFile) {
        this(settings, launcher, reaper, fds, logFile, System.getenv());
    }

    /** As the five-argument constructor, with runc's environment {@code env} (see {@link CriuOnPath}). */
    public Runc(RuncSettings settings, ProcessLauncher launcher, Reaper reaper, Fds fds, Path logFile,
                Map<String, String> env) {
        this(settings, launcher, reaper, fds, logFile, env, RuncDeadlines.NONE, null);
    }

    private Runc(RuncSettings settings, ProcessLauncher launcher, Reaper reaper, Fds fds, Path logFile,
                 Map<String, String> env, RuncDeadlines deadlines, Signals signals) {
        this.settings = settings;
        this.launcher = launcher;
        this.reaper = reaper;
        this.fds = fds;
        this.logFile = logFile;
        this.env = Map.copyOf(env);
        this.deadlines = deadlines;
        this.signals = signals;
    }

    /**
     * A runc logging to {@code <root>/runc.log} until {@link #withLog} points it at a container's
     * bundle.
     */
    public Runc(RuncSettings settings, ProcessLauncher launcher, Reaper reaper, Fds fds) {
        this(settings, launcher, reaper, fds, settings.root().resolve("runc.log"));
    }

    /** The same runc logging to {@code logFile}. */
    public Runc withLog(Path logFile) {
        return new Runc(settings, launcher, reaper, fds, logFile, env, deadlines, signals);
    }

    /** The same runc, killed through {@code signals} when a command passes its deadline. */
    public Runc withDeadlines(RuncDeadlines deadlines, Signals signals) {
        return new Runc(settings, launcher, reaper, fds, logFile, env, deadlines, signals);
    }

    /** The settings in use. */
    public RuncSettings settings() {
        return settings;
    }

    /** The log file in use. */
    public Path logFile() {
        return logFile;
    }

    /** The full argv for a command: global options, the command, its arguments. */
    public List<String> argv(String command, List<String> args) {
        List<String> argv = new ArrayList<>(settings.globalArgs(logFile));
        argv.add(command);
        argv.addAll(args);
        return argv;
    }

    /** {@code runc create}: the container's stdio are {@code stdio}. Returns the init pid from the pid file. */
    public int create(String id, CreateOptions opts, RuncStdio stdio) {
        run("create", id, concat(opts.args(), id), stdio.fdMap());
        return readPid(opts.pidFile(), "create", id);
    }

    /** {@code runc start}. */
    public void start(String id) {
        run("start", id, List.of(id), null);
    }

    /** {@code runc exec --detach}; returns the exec'd pid from the pid file. */
    public int exec(String id, ExecOptions opts, RuncStdio stdio) {
        run("exec", id, concat(opts.args(), id), stdio.fdMap());
        return readPid(opts.pidFile(), "exec", id);
    }

    /** {@code runc restore}; returns the restored init pid from the pid file. */
    public int restore(String id, RestoreOptions opts, RuncStdio stdio) {
        run("restore", id, concat(opts.args(), id), stdio.fdMap());
        return readPid(opts.pidFile(), "restore", id);
    }

    /** {@code runc checkpoint}. */
    public void checkpoint(String id, CheckpointOptions opts) {
        run("checkpoint", id, concat(opts.args(), id), null);
    }

    /** {@code runc state}. */
    public RuncState state(String id) {
        return RuncState.parse(run("state", id, List.of(id), null));
    }

    /** {@code runc kill [--all] <id> <signal>}. */
    public void kill(String id, int signal, boolean all) {
        List<String> args = new ArrayList<>();
        if (all) {
            args.add("--all");
        }
        args.addAll(List.of(id, Integer.toString(signal)));
        run("kill", id, args, null);
    }

    /** {@code runc delete [--force]}. */
    public void delete(String id, boolean force) {
        run("delete", id, force ? List.of("--force", id) : List.of(id), null);
    }

    /** {@code runc pause}. */
    public void pause(String id) {
        run("pause", id, List.of(id), null);
    }

    /** {@code runc resume}. */
    public void resume(String id) {
        run("resume", id, List.of(id), null);
    }

    /** {@code runc ps --format json}: the pids inside the container. */
    public List<Integer> ps(String id) {
        JsonNode n = JSON.readTree(run("ps", id, List.of("--format", "json", id), null));
        List<Integer> pids = new ArrayList<>();
        n.forEach(p -> pids.add(p.asInt()));
        return pids;
    }

    /** {@code runc update --resources <file>} with an OCI LinuxResources JSON document. */
    public void update(String id, byte[] resourcesJson) {
        Path file = null;
        try {
            file = Files.createTempFile(logFile.toAbsolutePath().getParent(), "resources-", ".json");
            Files.write(file, resourcesJson);
            run("update", id, List.of("--resources", file.toString(), id), null);
        } catch (IOException e) {
            throw ShimException.internal("runc update \"" + id + "\": write resources file: " + e.getMessage(), e);
        } finally {
            deleteQuietly(file);
        }
    }

    /**
     * Runs one command. With {@code stdio == null} stdout and stderr are captured and stdout is
     * returned; otherwise the given fds are runc's stdio (handed on to the container) and
     * nothing is captured.
     */
    private String run(String command, String id, List<String> args, Map<Integer, Integer> stdio) {
        long started = System.nanoTime();
        long logOffset = RuncLog.size(logFile);
        List<String> argv = argv(command, args);
        int[] out = null;
        int[] err = null;
        OutputCapture stdout = null;
        OutputCapture stderr = null;
        int pid;
        try {
            Map<Integer, Integer> fdMap = stdio;
            if (stdio == null) {
                out = fds.pipe();
                err = fds.pipe();
                stdout = new OutputCapture(fds, out[0], "runc-" + command + "-stdout");
                stderr = new OutputCapture(fds, err[0], "runc-" + command + "-stderr");
                fdMap = Map.of(1, out[1], 2, err[1]);
            }
            pid = launcher.spawn(new LaunchSpec(argv, env, null, new HashMap<>(fdMap)));
        } catch (SysException e) {
            if (e.errnoName().equals("ENOENT") || e.errnoName().equals("EACCES")) {
                throw new ShimException(ErrorKind.FAILED_PRECONDITION, "runc " + command + " \"" + id
                        + "\": OCI runtime " + settings.binary() + " cannot be executed (" + e.errnoName()
                        + "); check the \"runtime\" key of the restore-shim config", e);
            }
            throw new ShimException(ErrorKind.INTERNAL, "runc " + command + " \"" + id + "\": start "
                    + settings.binary() + ": " + e.getMessage(), e);
        } finally {
            closeWriteEnds(out, err);
        }
        ExitStatus exit = await(command, id, pid);
        String output = awaitQuietly(stdout);
        String errors = awaitQuietly(stderr);
        if (LOG.isDebugEnabled()) {
            LOG.debug("event=runc_done command={} id={} exit={} ms={}", command, id, exit.exitCode(),
                    String.format("%.1f", (System.nanoTime() - started) / 1e6));
        }
        if (exit.exitCode() != 0) {
            String reason = RuncLog.lastError(logFile, logOffset)
                    .or(() -> lastLine(errors))
                    .orElse("exit status " + exit.exitCode());
            throw new RuncException(command, id, reason, exit.exitCode());
        }
        return output;
    }

    private ExitStatus await(String command, String id, int pid) {
        Duration deadline = signals == null ? null : deadlines.of(command);
        var exit = reaper.watch(pid);
        try {
            if (deadline == null) {
                return exit.get();
            }
            try {
                return exit.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                killAfterDeadline(command, id, pid, deadline);
                throw new ShimException(ErrorKind.DEADLINE_EXCEEDED, "runc " + command + " \"" + id
                        + "\": no answer within " + (deadline.toMillis() % 1000 == 0 ? deadline.toSeconds() + " s"
                        : deadline.toMillis() + " ms") + "; runc (pid " + pid + ") was killed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShimException(ErrorKind.CANCELLED, "runc " + command + " \"" + id + "\": interrupted");
        } catch (ExecutionException e) {
            throw ShimException.internal("runc " + command + " \"" + id + "\": " + e.getCause().getMessage(), e);
        }
    }

    /**
     * SIGKILL to a runc that passed its deadline. The pid cannot have been reused: it is our
     * unreaped child until the reaper collects it, and then the exit future is complete.
     */
    private void killAfterDeadline(String command, String id, int pid, Duration deadline) throws InterruptedException {
        LOG.warn("event=runc_deadline command={} id={} pid={} deadline_s={}", command, id, pid, deadline.toSeconds());
        try {
            signals.kill(pid, Signals.SIGKILL);
        } catch (NoSuchProcessException gone) {
            return;
        }
        try {
            reaper.watch(pid).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("event=runc_kill_unconfirmed command={} id={} pid={}", command, id, pid);
        }
    }

    private int readPid(Path pidFile, String command, String id) {
        try {
            return Integer.parseInt(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            throw ShimException.internal("runc " + command + " \"" + id + "\": read pid file " + pidFile + ": " + e, e);
        }
    }

    private void closeWriteEnds(int[] out, int[] err) {
        if (out != null) {
            fds.close(out[1]);
        }
        if (err != null) {
            fds.close(err[1]);
        }
    }

    private static String awaitQuietly(OutputCapture c) {
        if (c == null) {
            return "";
        }
        try {
            return c.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static java.util.Optional<String> lastLine(String text) {
        return Arrays.stream(text.split("\n")).map(String::strip).filter(l -> !l.isEmpty()).reduce((a, b) -> b);
    }

    private static List<String> concat(List<String> args, String id) {
        List<String> all = new ArrayList<>(args);
        all.add(id);
        return all;
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file in the bundle goes with the bundle
            }
        }
    }
}
