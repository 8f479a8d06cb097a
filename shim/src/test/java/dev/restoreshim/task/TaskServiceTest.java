package dev.restoreshim.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.restoreshim.cgroups.CgroupFiles;
import dev.restoreshim.cgroups.OomWatcher;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.events.Topic;
import dev.restoreshim.grpc.TaskServiceAdapter;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExitListener;
import dev.restoreshim.process.Stdio;
import dev.restoreshim.proto.task.CreateTaskRequest;
import dev.restoreshim.proto.task.StateRequest;
import dev.restoreshim.proto.task.WaitRequest;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Task API in process, with a runtime that fails where the tests say. */
class TaskServiceTest {
    @TempDir
    Path dir;

    private final List<Topic> published = new ArrayList<>();
    private final List<CreateSpec> creates = new ArrayList<>();
    private TaskStore store;
    private Server server;
    private ManagedChannel channel;
    private TaskGrpc.TaskBlockingStub stub;
    private OomWatcher oom;
    private final List<List<ContainerRecord>> adoptionsDone = new ArrayList<>();

    /** Records create requests and refuses them, as runc does for a broken bundle. */
    private final class RefusingRuntime implements TaskRuntime {
        @Override
        public Container create(CreateSpec spec, ExitListener listener) {
            creates.add(spec);
            throw ShimException.invalidArgument("create task \"" + spec.id() + "\": bundle has no config.json");
        }

        @Override
        public Container adopt(ContainerRecord record, ExitListener listener) {
            throw ShimException.notFound("container " + record.id() + " does not exist");
        }

        @Override
        public void adoptionDone(List<ContainerRecord> adopted) {
            adoptionsDone.add(adopted);
        }

        @Override
        public void cleanup(Container container) {
        }

        @Override
        public Any stats(int pid) {
            return Any.getDefaultInstance();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        store = new TaskStore(dir);
        oom = new OomWatcher(emptyCgroups(), Duration.ZERO);
        TaskEvents.Publisher publisher = (String ns, Topic topic, Message event) -> published.add(topic);
        var tasks = new TaskService(new RefusingRuntime(), store, publisher, oom, () -> { });
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(io.grpc.ServerInterceptors.intercept(new TaskServiceAdapter(tasks),
                        new dev.restoreshim.grpc.CallNamespaceInterceptor()))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of(CallNamespace.GRPC_METADATA_KEY, Metadata.ASCII_STRING_MARSHALLER), "k8s.io");
        stub = TaskGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @AfterEach
    void tearDown() {
        channel.shutdownNow();
        server.shutdownNow();
        oom.close();
    }

    @Test
    void state_ofUnknownTask_isNotFoundNamingNamespaceAndId() {
        var e = assertThrows(StatusRuntimeException.class, () -> stub.state(StateRequest.newBuilder().setId("web").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("task k8s.io/web not found", e.getStatus().getDescription());
    }

    @Test
    void wait_ofUnknownTask_isNotFound() {
        var e = assertThrows(StatusRuntimeException.class, () -> stub.wait(WaitRequest.newBuilder().setId("web").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void create_withInvalidId_isInvalidArgumentBeforeTheRuntimeRuns() {
        var e = assertThrows(StatusRuntimeException.class, () -> stub.create(request("../escape")));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("../escape"), e.getStatus().getDescription());
        assertTrue(creates.isEmpty());
    }

    @Test
    void create_refusedByRuntime_leavesNoStateNoEventAndTheIdReusable() throws Exception {
        for (int attempt = 0; attempt < 2; attempt++) {
            var e = assertThrows(StatusRuntimeException.class, () -> stub.create(request("web")));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertEquals("create task \"web\": bundle has no config.json", e.getStatus().getDescription());
        }
        assertEquals(2, creates.size(), "the second create of the same id reached the runtime");
        assertEquals("k8s.io", creates.getFirst().namespace());
        assertEquals(new Stdio("", "/run/fifo/out", "/run/fifo/err", false), creates.getFirst().stdio());
        assertFalse(Files.exists(store.pathOf(new TaskKey("k8s.io", "web"))));
        assertTrue(published.isEmpty(), "no /tasks/create for a failed create: " + published);
    }

    @Test
    void create_withMalformedRuntimeOptions_isInvalidArgumentBeforeTheRuntimeRuns() {
        var garbage = Any.newBuilder().setTypeUrl("runtimeoptions.v1.Options")
                .setValue(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01, 0x02})).build();
        var e = assertThrows(StatusRuntimeException.class, () -> stub.create(request("web").toBuilder().setOptions(garbage).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("create task \"web\": options: malformed runtimeoptions.v1.Options"),
                e.getStatus().getDescription());
        assertTrue(creates.isEmpty());
    }

    @Test
    void create_withUnknownOptionsType_namesTheType() {
        var other = Any.newBuilder().setTypeUrl("types.example.com/acme.Options").build();
        var e = assertThrows(StatusRuntimeException.class, () -> stub.create(request("web").toBuilder().setOptions(other).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("\"types.example.com/acme.Options\" is not supported"),
                e.getStatus().getDescription());
        assertTrue(creates.isEmpty());
    }

    @Test
    void create_withHandlerConfigPath_reachesTheRuntime() {
        var options = Any.pack(dev.restoreshim.proto.runtimeoptions.Options.newBuilder()
                .setConfigPath("/etc/restore-shim/config.toml").build(), "");
        assertThrows(StatusRuntimeException.class, () -> stub.create(request("web").toBuilder().setOptions(options).build()));
        assertEquals(1, creates.size());
    }

    @Test
    void adoptAll_dropsRecordsOfContainersThatAreGone() {
        var record = new TaskRecord(new ContainerRecord("k8s.io", "gone", dir.resolve("bundle"), 4242,
                Stdio.none(), false), "", Instant.now());
        store.save(record);
        assertEquals(List.of(record), store.loadAll());
        var tasks = new TaskService(new RefusingRuntime(), store, (ns, t, ev) -> { }, oom, () -> { });
        tasks.adoptAll();
        assertTrue(tasks.list().isEmpty());
        assertTrue(store.loadAll().isEmpty());
        assertEquals(List.of(List.of()), adoptionsDone, "told once, with none adopted (its scratch dirs may go)");
    }

    private CreateTaskRequest request(String id) {
        return CreateTaskRequest.newBuilder().setId(id).setBundle(dir.resolve("bundle").toString())
                .setStdout("/run/fifo/out").setStderr("/run/fifo/err").build();
    }

    private static CgroupFiles emptyCgroups() {
        return new CgroupFiles() {
            @Override
            public Optional<String> read(String path) {
                return Optional.empty();
            }

            @Override
            public List<String> list(String directory) {
                return List.of();
            }
        };
    }
}
