package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.config.DaemonLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs deploy/containerd-shim-restore-v2 with a fake daemon (FakeDaemon.java, compiled once,
 * standing in for `java -jar restore-shim.jar daemon`). Needs /bin/sh, flock, setsid and
 * sha256sum; no root.
 */
class LauncherScriptTest {
    private static final Path SCRIPT = Path.of("..", "deploy", "containerd-shim-restore-v2").toAbsolutePath().normalize();
    private static final String ADDRESS = "/run/containerd/containerd.sock";

    @TempDir
    Path tmp;
    private Path config;
    private DaemonLayout daemon;
    private final List<Long> started = new ArrayList<>();

    /** What one launcher run printed. */
    record Run(int exitCode, String stdout, String stderr, Duration took) {
    }

    @TempDir
    static Path classes;

    /** Compiles the fake daemon once: a class starts in a fraction of the source launcher's time. */
    @BeforeAll
    static void compileFakeDaemon() throws IOException {
        Path source = classes.resolve("FakeDaemon.java");
        try (InputStream in = LauncherScriptTest.class.getResourceAsStream("/launcher/FakeDaemon.java")) {
            Files.write(source, in.readAllBytes());
        }
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), source.toString());
        assertEquals(0, rc, "javac FakeDaemon.java");
    }

    @BeforeEach
    void setUp() throws IOException {
        Path fakeJava = tmp.resolve("fake-java");
        Files.writeString(fakeJava, """
                #!/bin/sh
                exec %s -XX:TieredStopAtLevel=1 -cp %s FakeDaemon "$@"
                """.formatted(Path.of(System.getProperty("java.home"), "bin", "java"), classes));
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createFile(tmp.resolve("restore-shim.jar"));
        writeConfig("ttrpc");
        daemon = DaemonLayout.forContainerd(tmp.resolve("state"), ADDRESS);
    }

    private void writeConfig(String protocol) throws IOException {
        config = Files.writeString(tmp.resolve("config.toml"), """
                state_dir = "%s"   # comment
                protocol = '%s'
                java = "%s"
                java_options = "-Dfake.a=1  -Dfake.b=2"
                runtime = "%s"

                [restore]
                protocol = "not top level"
                """.formatted(tmp.resolve("state"), protocol, tmp.resolve("fake-java"), tmp.resolve("fake-runc")));
    }

    @AfterEach
    void killDaemons() throws IOException {
        Path spawns = daemon.dir().resolve("spawns");
        if (Files.exists(spawns)) {
            for (String pid : Files.readAllLines(spawns)) {
                ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private Run launcher(Path cwd, Map<String, String> extraEnv, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", SCRIPT.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(cwd.toFile());
        Map<String, String> env = pb.environment();
        env.put("RESTORE_SHIM_CONFIG", config.toString());
        env.put("RESTORE_SHIM_JAR", tmp.resolve("restore-shim.jar").toString());
        env.put("TTRPC_ADDRESS", "/run/containerd/containerd.sock.ttrpc");
        env.putAll(extraEnv);
        long t0 = System.nanoTime();
        Process p = pb.start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(new byte[] {0x0a, 0x05}); // containerd writes options on stdin
        } catch (IOException exitedAlready) {
            // -v and -info exit without reading stdin
        }
        // Reading to EOF proves the daemon did not keep the launcher's pipes.
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        int code = p.waitFor();
        return new Run(code, out, err.get(), Duration.ofNanos(System.nanoTime() - t0));
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1); // byte for byte: delete prints protobuf
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Run start(String id, Map<String, String> env) throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("bundles").resolve(id));
        return launcher(bundle, env, "-namespace", "k8s.io", "-address", ADDRESS,
                "-publish-binary", "/usr/bin/containerd", "-id", id, "start");
    }

    private List<String> spawns() throws IOException {
        Path f = daemon.dir().resolve("spawns");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Test
    void concurrentStarts_spawnOneDaemon_printOnlyAddress_writeAddressFile() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<CompletableFuture<Run>> runs = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 4; i++) {
                    String id = "c" + i;
                    runs.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            return start(id, Map.of());
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }, pool));
                }
            }
            String expected = "unix://" + daemon.ttrpcSocket();
            for (int i = 0; i < 4; i++) {
                Run r = runs.get(i).join();
                assertEquals(new Run(0, expected, "", r.took()), r);
                assertEquals(expected, Files.readString(tmp.resolve("bundles/c" + i + "/address")));
            }
            assertEquals(1, spawns().size(), "daemons spawned: " + spawns());
            String log = Files.readString(daemon.logFile());
            assertTrue(log.contains("-Dfake.a=1 -Dfake.b=2 --sun-misc-unsafe-memory-access=allow -jar " + tmp.resolve("restore-shim.jar") + " daemon --config " + config
                    + " --dir " + daemon.dir() + " --containerd-address " + ADDRESS
                    + " --ttrpc-address /run/containerd/containerd.sock.ttrpc"), log);
        });
    }

    @Test
    void start_nativeDirNextToTheJar_isTheDaemonsLibraryPath_zstdLibraryNamed() throws Exception {
        Path natives = Files.createDirectory(tmp.resolve("native"));
        Path zstd = Files.createFile(natives.resolve("libzstd-jni-1.5.7-25.so"));
        assertEquals(0, start("a", Map.of()).exitCode());
        String log = Files.readString(daemon.logFile());
        assertTrue(log.contains("-Dfake.b=2 -Djava.library.path=" + natives + " -DZstdNativePath=" + zstd
                + " --sun-misc-unsafe-memory-access=allow -jar " + tmp.resolve("restore-shim.jar") + " daemon "), log);
    }

    @Test
    void start_liveDaemon_isReusedQuickly() throws Exception {
        assertEquals(0, start("a", Map.of()).exitCode());
        Run again = start("b", Map.of());
        assertEquals(0, again.exitCode());
        assertEquals(1, spawns().size());
        assertTrue(again.took().toMillis() < 2000, "reuse took " + again.took());
    }

    @Test
    void start_liveDaemon_runsNoExternalCommand_daemonDirCachedPerAddress() throws Exception {
        assertEquals(0, start("a", Map.of()).exitCode());
        assertEquals(List.of(daemon.dir().getFileName() + " " + ADDRESS), Files.readAllLines(tmp.resolve("state/d/names")));
        // No sha256sum, sed, flock, tr, grep or mv on the PATH: the fast path needs none of them.
        Run again = start("b", Map.of("PATH", "/nonexistent"));
        assertEquals(new Run(0, "unix://" + daemon.ttrpcSocket(), "", again.took()), again);
        assertEquals("unix://" + daemon.ttrpcSocket(), Files.readString(tmp.resolve("bundles/b/address")));
        assertEquals(1, spawns().size());
    }

    @Test
    void start_deadDaemon_isReplaced() throws Exception {
        assertEquals(0, start("a", Map.of()).exitCode());
        long first = Long.parseLong(spawns().getFirst());
        ProcessHandle h = ProcessHandle.of(first).orElseThrow();
        h.destroyForcibly();
        h.onExit().get();
        Run r = start("b", Map.of());
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(2, spawns().size());
        assertNotEquals(first, Long.parseLong(spawns().get(1)));
    }

    /** Gone, or a zombie waiting for init (the launcher detached it, so it is nobody's child here). */
    private static boolean exitedOrZombie(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return true;
        }
        String s = Files.readString(stat);
        return s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
    }

    /** install.sh replaces the jar with a new file: its mtime is later than the daemon's ready file. */
    private void installNewerJar() throws IOException, InterruptedException {
        Thread.sleep(10);
        Path jar = tmp.resolve("restore-shim.jar");
        Files.delete(jar);
        Files.createFile(jar);
        assertTrue(Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(daemon.readyFile())) > 0);
    }

    @Test
    void start_outdatedIdleDaemon_isStoppedAndReplaced() throws Exception {
        assertEquals(0, start("a", Map.of()).exitCode());
        long first = Long.parseLong(spawns().getFirst());
        installNewerJar();
        Run r = start("b", Map.of());
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(2, spawns().size(), "a daemon from the installed jar");
        assertTrue(exitedOrZombie(first), "the outdated daemon was stopped");
        assertEquals("unix://" + daemon.ttrpcSocket(), r.stdout());
        Run again = start("c", Map.of("PATH", "/nonexistent"));
        assertEquals(0, again.exitCode(), again.stderr());
        assertEquals(2, spawns().size(), "the new daemon is current: the fast path again");
    }

    @Test
    void start_outdatedDaemonWithTasks_keepsServing() throws Exception {
        assertEquals(0, start("a", Map.of()).exitCode());
        long first = Long.parseLong(spawns().getFirst());
        Files.createDirectories(daemon.dir().resolve("tasks/k8s.io"));
        Files.writeString(daemon.dir().resolve("tasks/k8s.io/a.json"), "{}");
        installNewerJar();
        Run r = start("b", Map.of());
        assertEquals(new Run(0, "unix://" + daemon.ttrpcSocket(), "", r.took()), r);
        assertEquals(List.of(Long.toString(first)), spawns(), "its tasks would end with it: no new daemon");
        assertTrue(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false));
        Files.delete(daemon.dir().resolve("tasks/k8s.io/a.json"));
        assertEquals(0, start("c", Map.of()).exitCode());
        assertEquals(2, spawns().size(), "replaced at the first start that finds it idle");
    }

    @Test
    void start_grpc_printsVersion3Json_addressFileStaysTtrpc() throws Exception {
        writeConfig("grpc");
        Run r = start("g", Map.of());
        assertEquals(new Run(0, "{\"version\":3,\"address\":\"" + daemon.grpcSocket() + "\",\"protocol\":\"grpc\"}", "", r.took()), r);
        assertEquals("unix://" + daemon.ttrpcSocket(), Files.readString(tmp.resolve("bundles/g/address")));
    }

    @Test
    void start_daemonDies_failsWithOneLine() throws Exception {
        Run r = start("x", Map.of("FAKE_MODE", "die"));
        assertEquals(1, r.exitCode());
        assertEquals("", r.stdout());
        assertTrue(r.stderr().endsWith("fake daemon: cannot bind\n") && r.stderr().lines().count() == 1, r.stderr());
    }

    @Test
    void start_daemonNeverReady_timesOut() throws Exception {
        Run r = start("x", Map.of("FAKE_MODE", "never-ready", "RESTORE_SHIM_READY_TIMEOUT", "1"));
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("daemon not ready after 1s"), r.stderr());
    }

    /**
     * Fakes of what {@code delete} runs, first on PATH: {@code mountpoint} answers yes for the
     * paths listed in {@code mounted}, {@code umount} and the runtime ({@code fake-runc}, named
     * by the config's {@code runtime}) log their arguments into {@code calls}.
     */
    private Map<String, String> deleteFakes(int runtimeExit, String runtimeOutput) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path calls = tmp.resolve("calls");
        Path mounted = tmp.resolve("mounted");
        if (!Files.exists(mounted)) {
            Files.writeString(mounted, "");
        }
        script(bin.resolve("mountpoint"), "[ \"$1\" = -q ] && shift; grep -qxF \"$1\" '" + mounted + "'");
        script(bin.resolve("umount"), "echo \"umount $*\" >>'" + calls + "'");
        script(tmp.resolve("fake-runc"), "echo \"runc $*\" >>'" + calls + "'; printf '%s\\n' '" + runtimeOutput
                + "' >&2; exit " + runtimeExit);
        return Map.of("PATH", bin + ":" + System.getenv("PATH"));
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run delete(Map<String, String> env, Path bundle, String id) throws Exception {
        return launcher(tmp, env, "-namespace", "k8s.io", "-address", ADDRESS, "-publish-binary", "/x",
                "-id", id, "-bundle", bundle.toString(), "-debug", "delete");
    }

    @Test
    void delete_deadDaemon_killsInTheRuntime_detachesTheRestoresMounts_answersKilledWithInitPid() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("bundles/c1"));
        Files.writeString(bundle.resolve("init.pid"), "4242\n");
        Path images = Files.createDirectories(daemon.dir().resolve("restore/k8s.io/c1"));
        Path delta = Files.createDirectories(daemon.dir().resolve("restore/k8s.io/c1.delta"));
        Path other = Files.createDirectories(daemon.dir().resolve("restore/k8s.io/c10"));
        Path state = Files.createDirectories(daemon.dir().resolve("tasks/k8s.io")).resolve("c1.json");
        Files.writeString(state, "{}");
        Files.writeString(tmp.resolve("mounted"), bundle.resolve("rootfs") + "\n" + images + "\n" + other + "\n");
        Map<String, String> env = deleteFakes(0, "");
        long before = System.currentTimeMillis() / 1000;
        Run r = delete(env, bundle, "c1");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr());
        assertEquals(List.of("runc --root " + tmp.resolve("state/runc/k8s.io") + " delete --force c1",
                "umount -l " + bundle.resolve("rootfs"), "umount -l " + images), Files.readAllLines(tmp.resolve("calls")));
        assertTrue(Files.notExists(images) && Files.notExists(delta), "the restore's mount points are removed");
        assertTrue(Files.exists(other), "another task's mount point stays");
        assertTrue(Files.notExists(state), "the task's state file is removed");
        var response = dev.restoreshim.proto.task.DeleteResponse.parseFrom(r.stdout().getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(4242, response.getPid());
        assertEquals(137, response.getExitStatus());
        long at = response.getExitedAt().getSeconds();
        assertTrue(at >= before && at <= before + 5, "exited_at " + response.getExitedAt());
        assertTrue(r.took().toMillis() < 2000, "no JVM: " + r.took());
    }

    @Test
    void delete_containerAlreadyGone_noInitPid_isNoWarning_pidZero() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("bundles/c2"));
        Run r = delete(deleteFakes(1, "time=\"...\" level=error msg=\"container does not exist\""), bundle, "c2");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr());
        var response = dev.restoreshim.proto.task.DeleteResponse.parseFrom(r.stdout().getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(0, response.getPid());
        assertEquals(137, response.getExitStatus());
    }

    @Test
    void delete_runtimeFails_warnsWithItsLastLine_andStillAnswers() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("bundles/c3"));
        Run r = delete(deleteFakes(1, "level=error msg=\"permission denied\""), bundle, "c3");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("containerd-shim-restore-v2: delete: step=runtime-delete ns=k8s.io id=c3 error=\"level=error msg=\"permission denied\"\"\n",
                r.stderr());
        assertEquals(137, dev.restoreshim.proto.task.DeleteResponse.parseFrom(
                r.stdout().getBytes(StandardCharsets.ISO_8859_1)).getExitStatus());
    }

    @Test
    void delete_killsTheRestoresLazyPagesDaemon_notAProcessTheStalePidNames() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("bundles/c4"));
        Path work = Files.createDirectories(bundle.resolve("criu-work"));
        Process standIn = new ProcessBuilder("bash", "-c", "sleep 30; :", "lazy-pages", "--work-dir", work.toString()).start();
        Process other = new ProcessBuilder("bash", "-c", "sleep 30; :", "something-else").start();
        try {
            Files.writeString(work.resolve("lazy-pages.pid"), other.pid() + "\n");
            assertEquals(0, delete(deleteFakes(0, ""), bundle, "c4").exitCode());
            assertTrue(other.isAlive(), "a pid naming another process is left alone");
            Files.writeString(work.resolve("lazy-pages.pid"), standIn.pid() + "\n");
            Run r = delete(deleteFakes(0, ""), bundle, "c4");
            assertEquals(0, r.exitCode(), r.stderr());
            assertTrue(standIn.waitFor(5, java.util.concurrent.TimeUnit.SECONDS), "criu lazy-pages stand-in killed");
            assertEquals("containerd-shim-restore-v2: delete: step=lazy-pages ns=k8s.io id=c4 killed criu lazy-pages pid="
                    + standIn.pid() + "\n", r.stderr());
            assertTrue(Files.notExists(work.resolve("lazy-pages.pid")));
        } finally {
            standIn.destroyForcibly().waitFor();
            other.destroyForcibly().waitFor();
        }
    }

    @Test
    void delete_idThatIsAPath_isRefused() throws Exception {
        Run r = delete(deleteFakes(0, ""), tmp, "../x");
        assertEquals(1, r.exitCode());
        assertEquals("containerd-shim-restore-v2: delete: id \"../x\" is not a containerd identifier\n", r.stderr());
        assertTrue(Files.notExists(tmp.resolve("calls")), "nothing run");
    }

    @Test
    void delete_liveDaemonWithoutTheTask_answersEmptyResponseWithoutJvm() throws Exception {
        assertEquals(0, start("c1", Map.of()).exitCode());
        Run r = launcher(tmp, Map.of(), "-namespace", "k8s.io", "-address", ADDRESS, "-publish-binary", "/x",
                "-id", "c1", "-bundle", "/b/c1", "delete");
        assertEquals(new Run(0, "", "", r.took()), r);
    }

    @Test
    void delete_liveDaemonStillHoldingTheTask_cleansUp() throws Exception {
        assertEquals(0, start("c1", Map.of()).exitCode());
        Files.createDirectories(daemon.dir().resolve("tasks/k8s.io"));
        Files.writeString(daemon.dir().resolve("tasks/k8s.io/c1.json"), "{}");
        Run r = delete(deleteFakes(0, ""), Files.createDirectories(tmp.resolve("bundles/c1")), "c1");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(137, dev.restoreshim.proto.task.DeleteResponse.parseFrom(
                r.stdout().getBytes(StandardCharsets.ISO_8859_1)).getExitStatus());
        assertTrue(Files.notExists(daemon.dir().resolve("tasks/k8s.io/c1.json")));
    }

    @Test
    void version_and_info() throws Exception {
        Run v = launcher(tmp, Map.of(), "-v");
        assertEquals(0, v.exitCode());
        assertTrue(v.stdout().startsWith("containerd-shim-restore-v2:\n  Version:  "), v.stdout());
        Run info = launcher(tmp, Map.of(), "-info");
        assertEquals(1, info.exitCode());
        assertEquals("containerd-shim-restore-v2: -info is not supported\n", info.stderr());
    }

    @Test
    void badProtocol_namesConfigKey() throws Exception {
        writeConfig("http");
        Run r = start("x", Map.of());
        assertEquals(1, r.exitCode());
        assertEquals("containerd-shim-restore-v2: config " + config + ": key \"protocol\": must be \"ttrpc\" or \"grpc\", got \"http\"\n",
                r.stderr());
    }

    @Test
    void missingId_isError() throws Exception {
        Map<String, String> none = new HashMap<>();
        Run r = launcher(tmp, none, "-namespace", "n", "start");
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("-id is required"), r.stderr());
    }
}
