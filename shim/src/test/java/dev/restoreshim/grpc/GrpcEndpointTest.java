package dev.restoreshim.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.proto.task.ConnectRequest;
import dev.restoreshim.proto.task.ConnectResponse;
import dev.restoreshim.proto.task.StateRequest;
import dev.restoreshim.proto.task.StateResponse;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import dev.restoreshim.task.CallNamespace;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpcEndpointTest {
    @TempDir
    Path dir;
    private MultiThreadIoEventLoopGroup group;
    private final List<ManagedChannel> channels = new java.util.ArrayList<>();

    /** Answers State with the call's namespace as bundle; fails Connect the ways a Task service can. */
    static final class FakeTask extends TaskGrpc.TaskImplBase {
        @Override
        public void state(StateRequest request, StreamObserver<StateResponse> response) {
            response.onNext(StateResponse.newBuilder().setId(request.getId()).setBundle(CallNamespace.current()).build());
            response.onCompleted();
        }

        @Override
        public void connect(ConnectRequest request, StreamObserver<ConnectResponse> response) {
            switch (request.getId()) {
                case "thrown" -> throw ShimException.notFound("connect task \"thrown\": not found");
                case "on-error" -> response.onError(ShimException.failedPrecondition("connect: on-error"));
                default -> throw new IllegalStateException("unexpected");
            }
        }
    }

    @BeforeEach
    void setUp() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private ManagedChannel channel(Path socket) {
        ManagedChannel c = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
        channels.add(c);
        return c;
    }

    @Test
    void taskEndpointPropagatesNamespaceAndMapsErrors() throws Exception {
        Path socket = dir.resolve("task.sock");
        try (var endpoint = TaskEndpoint.start(socket, new FakeTask(), group)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            var headers = new Metadata();
            headers.put(Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER), "k8s.io");
            var stub = TaskGrpc.newBlockingStub(channel(socket)).withDeadlineAfter(5, TimeUnit.SECONDS);
            assertEquals("k8s.io", stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .state(StateRequest.newBuilder().setId("c1").build()).getBundle());
            assertEquals("default", stub.state(StateRequest.newBuilder().setId("c1").build()).getBundle());

            var e = assertThrows(StatusRuntimeException.class, () -> stub.connect(ConnectRequest.newBuilder().setId("thrown").build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            assertEquals("connect task \"thrown\": not found", e.getStatus().getDescription());
            e = assertThrows(StatusRuntimeException.class, () -> stub.connect(ConnectRequest.newBuilder().setId("on-error").build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class, () -> stub.connect(ConnectRequest.newBuilder().setId("other").build()));
            assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
            assertEquals("unexpected", e.getStatus().getDescription());
            e = assertThrows(StatusRuntimeException.class, () -> stub.pids(dev.restoreshim.proto.task.PidsRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        }
        assertFalse(Files.exists(socket));
    }

    @Test
    void taskEndpointRefusesPeerWithOtherUid() throws Exception {
        Path socket = dir.resolve("other.sock");
        try (var endpoint = TaskEndpoint.start(socket, new FakeTask(), group,
                dev.restoreshim.sys.UnixSocketFile.currentUid() + 1)) {
            var stub = TaskGrpc.newBlockingStub(channel(socket)).withDeadlineAfter(5, TimeUnit.SECONDS);
            var e = assertThrows(StatusRuntimeException.class, () -> stub.state(StateRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        }
    }

    @Test
    void adminEndpointServesHealthAndReflection() throws Exception {
        Path socket = dir.resolve("admin.sock");
        var health = new HealthStatusManager();
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        try (var endpoint = AdminEndpoint.start(socket, health, List.of(new FakeTask()), null)) {
            var ch = channel(socket);
            var check = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS);
            assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                    check.check(HealthCheckRequest.getDefaultInstance()).getStatus());

            var services = new CompletableFuture<List<String>>();
            var requests = ServerReflectionGrpc.newStub(ch).serverReflectionInfo(new StreamObserver<>() {
                @Override
                public void onNext(ServerReflectionResponse r) {
                    services.complete(r.getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList());
                }

                @Override
                public void onError(Throwable t) {
                    services.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                }
            });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            List<String> names = services.get(5, TimeUnit.SECONDS);
            requests.onCompleted();
            assertTrue(names.containsAll(List.of("grpc.health.v1.Health", "containerd.task.v3.Task")), names.toString());

            assertTrue(endpoint.shutdown(Duration.ofSeconds(2)));
        }
        assertFalse(Files.exists(socket));
    }
}
