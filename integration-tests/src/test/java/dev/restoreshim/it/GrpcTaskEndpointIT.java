package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.restoreshim.proto.containerd.types.task.Status;
import dev.restoreshim.proto.task.CreateTaskRequest;
import dev.restoreshim.proto.task.DeleteRequest;
import dev.restoreshim.proto.task.DeleteResponse;
import dev.restoreshim.proto.task.ExecProcessRequest;
import dev.restoreshim.proto.task.KillRequest;
import dev.restoreshim.proto.task.ShutdownRequest;
import dev.restoreshim.proto.task.StartRequest;
import dev.restoreshim.proto.task.StateRequest;
import dev.restoreshim.proto.task.WaitRequest;
import dev.restoreshim.proto.task.WaitResponse;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
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
 * The daemon's gRPC endpoint ({@code containerd.task.v3.Task} on {@code grpc.sock}) driven with our
 * own gRPC client, because containerd 2.1.9 drops gRPC shims before its first call (see
 * docs/protocols.md): the launcher's {@code start} with protocol grpc, then Create, Start, State,
 * Exec (+ Start, Wait, Delete), Kill(TERM), Wait, Delete, Shutdown, and nothing left behind.
 * Runs whenever a restore-shim variant is among {@code it.handlers}.
 */
@ExtendWith(TestEnvironment.class)
class GrpcTaskEndpointIT {

    private static final String NAMESPACE = PrivateContainerd.CTR_NAMESPACE;
    private static final String ID = "grpc-task-1";

    /** The gRPC variant, whenever any restore-shim variant is tested. */
    static Stream<Handler> variants() {
        return Handler.tested().stream().anyMatch(Handler::isRestoreShim) ? Stream.of(Handler.RESTORE_GRPC) : Stream.empty();
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("variants")
    void taskLifecycleOverGrpcSocket(Handler handler) throws Exception {
        try (PrivateContainerd containerd = PrivateContainerd.start("GrpcTaskEndpointIT", handler,
                TestEnvironment.shared().registry().host(), TestEnvironment.images().pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> lifecycle(containerd),
                    () -> "timed out; daemon log under " + containerd.shimState());
        }
    }

    private static void lifecycle(PrivateContainerd containerd) throws Exception {
        OciBundle bundle = OciBundle.create(containerd.dir().resolve("bundles"), ID, containerd.cgroupParent() + "/" + ID);
        Path socket = launcherStart(containerd, bundle);
        Path io = Files.createDirectories(containerd.dir().resolve("io"));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext()
                .overrideAuthority("localhost").build();
        try {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER), NAMESPACE);
            TaskGrpc.TaskBlockingStub stub = TaskGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
            run(containerd, stub, bundle, io);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        LeakCheck.assertClean(containerd, List.of(ID));
    }

    private static void run(PrivateContainerd containerd, TaskGrpc.TaskBlockingStub task, OciBundle bundle, Path io)
            throws Exception {
        Fifo out = Fifo.create(io.resolve("init-stdout"));
        Fifo err = Fifo.create(io.resolve("init-stderr"));
        int pid = call(task).create(CreateTaskRequest.newBuilder().setId(ID).setBundle(bundle.dir().toString())
                .setStdout(out.path().toString()).setStderr(err.path().toString()).build()).getPid();
        assertTrue(pid > 0, "Create returns the init pid");
        assertEquals(pid, call(task).start(StartRequest.newBuilder().setId(ID).build()).getPid(), "Start pid");
        assertEquals(Status.RUNNING, call(task).state(StateRequest.newBuilder().setId(ID).build()).getStatus(), "State");
        out.await(s -> s.contains(TestImages.APP_STARTED), Duration.ofSeconds(10));

        Fifo execOut = Fifo.create(io.resolve("exec-stdout"));
        call(task).exec(ExecProcessRequest.newBuilder().setId(ID).setExecId("cat").setStdout(execOut.path().toString())
                .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                        .setValue(ByteString.copyFrom(OciBundle.execProcess(List.of("cat", "/etc/rsit-release"))))).build());
        call(task).start(StartRequest.newBuilder().setId(ID).setExecId("cat").build());
        WaitResponse execExit = call(task).wait(WaitRequest.newBuilder().setId(ID).setExecId("cat").build());
        assertEquals(0, execExit.getExitStatus(), "exec exit status");
        execOut.await(s -> s.contains(TestImages.RELEASE_TEXT), Duration.ofSeconds(10));
        call(task).delete(DeleteRequest.newBuilder().setId(ID).setExecId("cat").build());

        call(task).kill(KillRequest.newBuilder().setId(ID).setSignal(15).build());
        WaitResponse exit = call(task).wait(WaitRequest.newBuilder().setId(ID).build());
        assertEquals(TestImages.APP_TERM_EXIT, exit.getExitStatus(), "init exit status after TERM");
        out.await(s -> s.contains(TestImages.APP_GOT_TERM), Duration.ofSeconds(5));
        DeleteResponse deleted = call(task).delete(DeleteRequest.newBuilder().setId(ID).build());
        assertEquals(TestImages.APP_TERM_EXIT, deleted.getExitStatus(), "Delete exit status");
        call(task).shutdown(ShutdownRequest.newBuilder().setId(ID).build());
        out.close();
        err.close();
        execOut.close();
    }

    private static TaskGrpc.TaskBlockingStub call(TaskGrpc.TaskBlockingStub stub) {
        return stub.withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Runs the launcher's {@code start} as containerd would and returns the gRPC socket it prints. */
    private static Path launcherStart(PrivateContainerd containerd, OciBundle bundle) {
        HostCommand.Result started = HostCommand.of(ShimInstall.launcher().toString(), "-namespace", NAMESPACE,
                        "-address", containerd.socket().toString(), "-publish-binary", "containerd", "-id", ID, "start")
                .in(bundle.dir())
                .withEnv(Map.of("TTRPC_ADDRESS", containerd.socket() + ".ttrpc", "GRPC_ADDRESS", containerd.socket().toString(),
                        "NAMESPACE", NAMESPACE, "RESTORE_SHIM_CONFIG", containerd.dir().resolve("shim/config.toml").toString(),
                        "RSIT_INSTANCE", containerd.dir().getFileName().toString()))
                .withTimeout(Duration.ofSeconds(60))
                .check();
        var bootstrap = OciBundle.parseJson(started.stdout());
        assertEquals(3, bootstrap.get("version").asInt(), "bootstrap version: " + started.stdout());
        assertEquals("grpc", bootstrap.get("protocol").asString(), "bootstrap protocol: " + started.stdout());
        return Path.of(bootstrap.get("address").asString());
    }
}
