package dev.restoreshim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.proto.admin.AdminGrpc;
import dev.restoreshim.proto.admin.RestoreEntry;
import dev.restoreshim.proto.admin.StatusRequest;
import dev.restoreshim.proto.admin.StatusResponse;
import dev.restoreshim.proto.admin.TaskEntry;
import dev.restoreshim.proto.admin.Versions;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class StatusCommandTest {
    static final StatusResponse SAMPLE = StatusResponse.newBuilder()
            .setPid(321)
            .setStartedAt(Timestamp.newBuilder().setSeconds(1_790_000_000L))
            .setDir("/run/restore-shim/d/x")
            .setContainerdAddress("/run/containerd/containerd.sock")
            .setVersions(Versions.newBuilder().setRestoreShim("0.1.0").setJava("25").setRuntime("runc 1.3.6").setCriu("4.1.1"))
            .addTasks(TaskEntry.newBuilder().setNamespace("k8s.io").setId("web").setPid(1000).setStatus("running")
                    .setBundle("/run/b/web").setCreatedAt(Timestamp.newBuilder().setSeconds(1_790_000_100L)))
            .addRecentRestores(RestoreEntry.newBuilder().setNamespace("k8s.io").setId("web").setSource("/var/cp.tar")
                    .putPhaseMs("criu", 380).putPhaseMs("index", 3).putPhaseMs("zz-custom", 1).putPhaseMs("overlay", 10)
                    .setTotalMs(394).setOutcome("restored"))
            .putFeatures("protocol", "ttrpc")
            .setCriu(dev.restoreshim.proto.admin.CriuReport.newBuilder().setBinary("criu").setVersion("4.1.1")
                    .setLazyPages(true).setTls(true).putKernel("release", "6.18.44").addAllowedOptions("tcp-established")
                    .addAllowedOptions("file-locks").putDefaultOptions("tls-key", "(set)").addKeyDirs("/etc/rs/keys"))
            .build();

    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private Server server;
    private EventLoopGroup group;

    private void serve(ServingStatus health) throws IOException {
        HealthStatusManager healthManager = new HealthStatusManager();
        healthManager.setStatus("", health);
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(dir.resolve("admin.sock").toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(healthManager.getHealthService())
                .addService(new AdminGrpc.AdminImplBase() {
                    @Override
                    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
                        observer.onNext(SAMPLE);
                        observer.onCompleted();
                    }
                })
                .build().start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private int status(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> new StatusCommand(new PrintStream(out), Map.of(), dir.resolve("absent.toml")).run(List.of(args)));
    }

    @Test
    void run_servingDaemon_printsTable() throws IOException {
        serve(ServingStatus.SERVING);
        assertEquals(0, status("--dir", dir.toString()));
        String text = out.toString();
        assertTrue(text.startsWith("daemon " + dir + "  SERVING\n"), text);
        assertTrue(text.contains("pid 321"), text);
        assertTrue(text.contains("k8s.io     web  1000  running"), text);
        assertTrue(text.contains("index=3 overlay=10 criu=380 zz-custom=1"), text);
        assertTrue(text.contains("  criu: 4.1.1  lazy-pages yes  encryption no  allowed tcp-established,file-locks\n"), text);
    }

    @Test
    void run_json_isParseable() throws IOException {
        serve(ServingStatus.SERVING);
        assertEquals(0, status("--dir", dir.toString(), "--json"));
        JsonNode root = JsonMapper.builder().build().readTree(out.toString());
        assertEquals(321, root.get(0).get("pid").asInt());
        assertEquals("web", root.get(0).get("tasks").get(0).get("id").asString());
        assertEquals(380, root.get(0).get("recent_restores").get(0).get("phase_ms").get("criu").asInt());
        JsonNode criu = root.get(0).get("criu");
        assertEquals("4.1.1", criu.get("version").asString());
        assertTrue(criu.get("lazy_pages").asBoolean());
        assertEquals("(set)", criu.get("default_options").get("tls-key").asString());
        assertEquals("6.18.44", criu.get("kernel").get("release").asString());
    }

    @Test
    void run_notServing_exitsOne() throws IOException {
        serve(ServingStatus.NOT_SERVING);
        assertEquals(1, status("--dir", dir.toString()));
        assertTrue(out.toString().contains("NOT_SERVING"), out.toString());
    }

    @Test
    void run_deadSocket_reportsUnreachable() throws IOException {
        Files.createFile(dir.resolve("admin.sock"));
        assertEquals(1, status("--dir", dir.toString()));
        assertTrue(out.toString().contains("UNREACHABLE"), out.toString());
    }

    @Test
    void discover_emptyStateDir_namesDirectory() throws IOException {
        Path cfg = Files.writeString(dir.resolve("c.toml"), "state_dir = \"" + dir + "\"\n");
        ShimException e = assertThrows(ShimException.class,
                () -> new StatusCommand(new PrintStream(out), Map.of(), cfg).run(List.of("--config", cfg.toString())));
        assertTrue(e.getMessage().contains(dir.resolve("d").toString()), e.getMessage());
    }

    @Test
    void discover_findsDaemonDirectories() throws IOException {
        Files.createDirectories(dir.resolve("d/bbbb"));
        Files.createDirectories(dir.resolve("d/aaaa"));
        Path cfg = Files.writeString(dir.resolve("c.toml"), "state_dir = \"" + dir + "\"\n");
        assertEquals(List.of(dir.resolve("d/aaaa"), dir.resolve("d/bbbb")),
                StatusCommand.discover(dev.restoreshim.config.ConfigFile.read(cfg)));
    }
}
