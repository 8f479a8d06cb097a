package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.restoreshim.proto.task.CreateTaskRequest;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input to Create, sent straight to the daemon's Task API (gRPC {@code containerd.task.v3.Task},
 * the same TaskService that serves TTRPC): a missing bundle, malformed and unknown {@code options},
 * and, in a containerd instance of its own, a shim config whose {@code runtime} does not exist.
 * Each must fail with a code that is not UNIMPLEMENTED (containerd 2.1 panics on it for Create)
 * and a message naming the task and the reason, and leave no process, mount or state behind.
 */
@ExtendWith(TestEnvironment.class)
class BadInputIT {

    private static final String NAMESPACE = PrivateContainerd.CTR_NAMESPACE;
    private static final String MISSING_RUNTIME = "/nonexistent/rsit-no-such-runc";

    /** Runs whenever a restore-shim variant is tested (over the gRPC socket, see GrpcTaskEndpointIT). */
    static Stream<Handler> variants() {
        return Handler.tested().stream().anyMatch(Handler::isRestoreShim) ? Stream.of(Handler.RESTORE_GRPC) : Stream.empty();
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("variants")
    void createWithBadInputFailsClearlyAndLeavesNothing(Handler handler) throws Exception {
        try (PrivateContainerd containerd = PrivateContainerd.start("BadInputIT", handler,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> badRequests(containerd),
                    () -> "timed out; daemon log under " + containerd.shimState());
        }
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("variants")
    void createWithMissingRuntimeBinaryFailsClearlyAndLeavesNothing(Handler handler) throws Exception {
        try (PrivateContainerd containerd = PrivateContainerd.start("BadInputIT-runtime", handler,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause())) {
            // The daemon starts at the first launcher start and reads the config then.
            Path config = containerd.dir().resolve("shim/config.toml");
            Files.writeString(config, Files.readString(config).replace("runtime = \"runc\"", "runtime = \"" + MISSING_RUNTIME + "\""));
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> missingRuntime(containerd),
                    () -> "timed out; daemon log under " + containerd.shimState());
        }
    }

    private static void badRequests(PrivateContainerd containerd) throws Exception {
        OciBundle bundle = OciBundle.create(containerd.dir().resolve("bundles"), "bad-anchor", containerd.cgroupParent() + "/bad-anchor");
        try (TaskClient task = TaskClient.connect(launcherStart(containerd, bundle.dir(), "bad-anchor"))) {
            String missing = containerd.dir().resolve("bundles/no-such-bundle").toString();
            StatusRuntimeException e = refused(task, CreateTaskRequest.newBuilder().setId("bad-bundle").setBundle(missing).build());
            assertMessageNames(e, "bad-bundle", missing);

            OciBundle good = OciBundle.create(containerd.dir().resolve("bundles"), "bad-options", containerd.cgroupParent() + "/bad-options");
            Any garbage = Any.newBuilder().setTypeUrl("runtimeoptions.v1.Options")
                    .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0a, 0x7f})).build();
            e = refused(task, create("bad-options", good).setOptions(garbage).build());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), "malformed options: " + e.getStatus());
            assertMessageNames(e, "bad-options", "options");

            Any unknown = Any.newBuilder().setTypeUrl("example.com/rsit.Unknown").setValue(ByteString.copyFromUtf8("x")).build();
            e = refused(task, create("bad-options", good).setOptions(unknown).build());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), "unknown options type: " + e.getStatus());
            assertMessageNames(e, "bad-options", "example.com/rsit.Unknown");
        }
        LeakCheck.assertClean(containerd, List.of("bad-bundle", "bad-options"));
        assertNoTaskState(containerd);
    }

    private static void missingRuntime(PrivateContainerd containerd) throws Exception {
        OciBundle bundle = OciBundle.create(containerd.dir().resolve("bundles"), "bad-runtime", containerd.cgroupParent() + "/bad-runtime");
        try (TaskClient task = TaskClient.connect(launcherStart(containerd, bundle.dir(), "bad-runtime"))) {
            StatusRuntimeException e = refused(task, create("bad-runtime", bundle).build());
            assertMessageNames(e, "bad-runtime", MISSING_RUNTIME);
        }
        LeakCheck.assertClean(containerd, List.of("bad-runtime"));
        assertNoTaskState(containerd);
    }

    private static CreateTaskRequest.Builder create(String id, OciBundle bundle) {
        return CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.dir().toString());
    }

    /** Sends a Create that must fail, and checks the code is a real answer (never UNIMPLEMENTED/UNKNOWN). */
    private static StatusRuntimeException refused(TaskClient task, CreateTaskRequest request) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> task.stub().withDeadlineAfter(30, TimeUnit.SECONDS).create(request),
                "Create " + request.getId() + " must fail");
        assertNotEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode(), "Create " + request.getId() + ": " + e.getStatus());
        assertNotEquals(Status.Code.UNKNOWN, e.getStatus().getCode(), "Create " + request.getId() + ": " + e.getStatus());
        assertNotEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), "Create " + request.getId() + ": " + e.getStatus());
        return e;
    }

    private static void assertMessageNames(StatusRuntimeException e, String... parts) {
        String message = String.valueOf(e.getStatus().getDescription());
        for (String part : parts) {
            assertTrue(message.contains(part), "error message names \"" + part + "\": " + e.getStatus());
        }
    }

    /** The daemon keeps no task file of a refused Create ({@code <daemon dir>/tasks/<ns>/<id>.json}). */
    private static void assertNoTaskState(PrivateContainerd containerd) throws Exception {
        try (Stream<Path> files = Files.walk(containerd.shimState())) {
            List<Path> tasks = files.filter(p -> p.toString().contains("/tasks/") && p.toString().endsWith(".json")).toList();
            assertEquals(List.of(), tasks, "task state files left");
        }
    }

    /** Runs the launcher's {@code start} as containerd would; returns the gRPC socket it prints. */
    private static Path launcherStart(PrivateContainerd containerd, Path bundle, String id) {
        HostCommand.Result started = HostCommand.of(ShimInstall.launcher().toString(), "-namespace", NAMESPACE,
                        "-address", containerd.socket().toString(), "-publish-binary", "containerd", "-id", id, "start")
                .in(bundle)
                .withEnv(Map.of("TTRPC_ADDRESS", containerd.socket() + ".ttrpc", "NAMESPACE", NAMESPACE,
                        "RESTORE_SHIM_CONFIG", containerd.dir().resolve("shim/config.toml").toString(),
                        "RSIT_INSTANCE", containerd.dir().getFileName().toString()))
                .withTimeout(Duration.ofSeconds(60))
                .check();
        return Path.of(OciBundle.parseJson(started.stdout()).get("address").asString());
    }

    /** A gRPC Task client on the daemon's socket, sending the test namespace. */
    private record TaskClient(EventLoopGroup group, ManagedChannel channel, TaskGrpc.TaskBlockingStub stub)
            implements AutoCloseable {

        static TaskClient connect(Path socket) {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
            ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext()
                    .overrideAuthority("localhost").build();
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER), NAMESPACE);
            return new TaskClient(group, channel, TaskGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)));
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
