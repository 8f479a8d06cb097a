package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import dev.restoreshim.events.EventSink;
import dev.restoreshim.events.Topic;
import dev.restoreshim.proto.containerd.events.TaskExit;
import dev.restoreshim.proto.containerd.events.ttrpc.EventsGrpc;
import dev.restoreshim.proto.containerd.events.ttrpc.ForwardRequest;
import dev.restoreshim.task.CallNamespace;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TtrpcEventSinkTest {
    @TempDir
    Path dir;

    record Forwarded(ForwardRequest request, String namespace) {
    }

    @Test
    void forwardsEnvelopeToEventsService() throws Exception {
        var received = new LinkedBlockingQueue<Forwarded>();
        var events = new EventsGrpc.EventsImplBase() {
            @Override
            public void forward(ForwardRequest request, StreamObserver<Empty> response) {
                received.add(new Forwarded(request, CallNamespace.current()));
                response.onNext(Empty.getDefaultInstance());
                response.onCompleted();
            }
        };
        Path socket = dir.resolve("containerd.sock.ttrpc");
        Instant now = Instant.parse("2026-11-23T12:00:00.123456789Z");
        try (var dispatcher = TtrpcDispatcher.builder().addService(events).build();
                var server = TtrpcServer.start(socket, dispatcher);
                var sink = new TtrpcEventSink(new TtrpcClient(socket), Duration.ofSeconds(5), Clock.fixed(now, ZoneOffset.UTC))) {
            sink.send("k8s.io", Topic.TASK_EXIT, TaskExit.newBuilder().setContainerId("c1").setPid(42).build());
            Forwarded f = received.poll(5, TimeUnit.SECONDS);
            var envelope = f.request().getEnvelope();
            assertEquals("k8s.io", envelope.getNamespace());
            assertEquals("k8s.io", f.namespace());
            assertEquals("/tasks/exit", envelope.getTopic());
            assertEquals("/containerd.events.TaskExit", envelope.getEvent().getTypeUrl());
            assertEquals(42, envelope.getEvent().unpack(TaskExit.class).getPid());
            assertEquals(now.getEpochSecond(), envelope.getTimestamp().getSeconds());
            assertEquals(123456789, envelope.getTimestamp().getNanos());
        }
    }

    @Test
    void sendFailsWhenContainerdIsAway() {
        try (EventSink sink = TtrpcEventSink.forAddress("unix://" + dir.resolve("missing.sock"))) {
            assertThrows(StatusException.class, () -> sink.send("default", Topic.TASK_OOM, TaskExit.getDefaultInstance()));
        }
    }

    @Test
    void emptyAddressDropsEvents() throws Exception {
        EventSink sink = TtrpcEventSink.forAddress("");
        sink.send("default", Topic.TASK_OOM, TaskExit.getDefaultInstance());
        assertTrue(!(sink instanceof TtrpcEventSink));
    }
}
