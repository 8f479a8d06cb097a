package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import dev.restoreshim.proto.ttrpc.KeyValue;
import dev.restoreshim.proto.ttrpc.Request;
import dev.restoreshim.proto.ttrpc.Response;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TtrpcDispatcherTest {
    private final EchoService echo = new EchoService();
    private final HealthStatusManager health = new HealthStatusManager();
    private final TtrpcDispatcher dispatcher = TtrpcDispatcher.builder()
            .addService(echo.definition())
            .addAlias("test.v2.Echo", echo.definition())
            .addService(health.getHealthService())
            .build();

    @AfterEach
    void tearDown() {
        echo.release.countDown();
        dispatcher.close();
    }

    private Response call(Request request) throws Exception {
        var answer = new CompletableFuture<Response>();
        dispatcher.dispatch(request, r -> {
            if (!answer.complete(r)) {
                throw new AssertionError("answered twice");
            }
        });
        return answer.get(5, TimeUnit.SECONDS);
    }

    private static Request echo(String service, String text) {
        return Request.newBuilder().setService(service).setMethod("Echo")
                .setPayload(StringValue.of(text).toByteString()).build();
    }

    private static String text(Response r) throws InvalidProtocolBufferException {
        assertEquals(0, r.getStatus().getCode(), r.getStatus().getMessage());
        return StringValue.parseFrom(r.getPayload()).getValue();
    }

    @Test
    void servesUnaryCall() throws Exception {
        assertEquals("hi", text(call(echo(EchoService.NAME, "hi"))));
    }

    @Test
    void servesAliasName() throws Exception {
        assertEquals("v2", text(call(echo("test.v2.Echo", "v2"))));
        assertTrue(dispatcher.serviceNames().contains("test.v2.Echo"));
    }

    @Test
    void servesGrpcHealth() throws Exception {
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        Response r = call(Request.newBuilder().setService("grpc.health.v1.Health").setMethod("Check")
                .setPayload(HealthCheckRequest.getDefaultInstance().toByteString()).build());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthCheckResponse.parseFrom(r.getPayload()).getStatus());
    }

    @Test
    void unknownServiceAndMethodAreUnimplemented() throws Exception {
        Response r = call(echo("no.such.Service", "x"));
        assertEquals(Status.Code.UNIMPLEMENTED.value(), r.getStatus().getCode());
        assertEquals("service no.such.Service", r.getStatus().getMessage());
        r = call(Request.newBuilder().setService(EchoService.NAME).setMethod("Nope").build());
        assertEquals(Status.Code.UNIMPLEMENTED.value(), r.getStatus().getCode());
        assertEquals("method test.v1.Echo/Nope", r.getStatus().getMessage());
    }

    @Test
    void streamingMethodIsUnimplemented() throws Exception {
        Response r = call(Request.newBuilder().setService(EchoService.NAME).setMethod("Stream").build());
        assertEquals(Status.Code.UNIMPLEMENTED.value(), r.getStatus().getCode());
    }

    @Test
    void thrownShimExceptionMapsToItsKind() throws Exception {
        Response r = call(echo(EchoService.NAME, "not-found"));
        assertEquals(Status.Code.NOT_FOUND.value(), r.getStatus().getCode());
        assertEquals("state task \"x\": not found", r.getStatus().getMessage());
    }

    @Test
    void onErrorWithShimExceptionMapsToItsKind() throws Exception {
        Response r = call(echo(EchoService.NAME, "on-error"));
        assertEquals(Status.Code.FAILED_PRECONDITION.value(), r.getStatus().getCode());
        assertEquals("start task \"x\": task is running", r.getStatus().getMessage());
    }

    @Test
    void unclassifiedFailureIsUnknownWithMessageOnly() throws Exception {
        Response r = call(echo(EchoService.NAME, "boom"));
        assertEquals(Status.Code.UNKNOWN.value(), r.getStatus().getCode());
        assertEquals("boom", r.getStatus().getMessage());
        assertTrue(r.getPayload().isEmpty());
    }

    @Test
    void malformedPayloadIsInternal() throws Exception {
        Response r = call(Request.newBuilder().setService(EchoService.NAME).setMethod("Echo")
                .setPayload(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff, 1})).build());
        assertEquals(Status.Code.INTERNAL.value(), r.getStatus().getCode());
    }

    @Test
    void namespaceAndMetadataReachTheService() throws Exception {
        Request r = echo(EchoService.NAME, "ns").toBuilder()
                .addMetadata(KeyValue.newBuilder().setKey("containerd-namespace-ttrpc").setValue("k8s.io"))
                .addMetadata(KeyValue.newBuilder().setKey("x-test").setValue("v"))
                .addMetadata(KeyValue.newBuilder().setKey("bad key!").setValue("skipped"))
                .build();
        assertEquals("k8s.io", text(call(r)));
        assertEquals("v", echo.lastHeader.get());
        assertEquals("default", text(call(echo(EchoService.NAME, "ns"))));
    }

    @Test
    void deadlineCancelsCallAndAnswersDeadlineExceeded() throws Exception {
        long start = System.nanoTime();
        Response r = call(echo(EchoService.NAME, "block").toBuilder()
                .setTimeoutNano(Duration.ofMillis(200).toNanos()).build());
        assertEquals(Status.Code.DEADLINE_EXCEEDED.value(), r.getStatus().getCode());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(190).toNanos());
        assertTrue(echo.cancelled.await(2, TimeUnit.SECONDS), "service saw its context cancelled");
        echo.release.countDown();
        assertTrue(dispatcher.awaitIdle(Duration.ofSeconds(2)));
    }

    @Test
    void cancelAnswersOnceAndLateResultIsDropped() throws Exception {
        var answer = new CompletableFuture<Response>();
        var call = dispatcher.dispatch(echo(EchoService.NAME, "block"), r -> {
            if (!answer.complete(r)) {
                throw new AssertionError("answered twice");
            }
        });
        assertTrue(echo.started.await(2, TimeUnit.SECONDS));
        assertFalse(call.isDone());
        assertEquals(1, dispatcher.inFlight());
        call.cancel(Status.UNAVAILABLE.withDescription("shutting down"));
        assertEquals(Status.Code.UNAVAILABLE.value(), answer.get(2, TimeUnit.SECONDS).getStatus().getCode());
        echo.release.countDown();
        assertTrue(echo.cancelled.await(2, TimeUnit.SECONDS));
        assertEquals(0, dispatcher.inFlight());
    }

    @Test
    void awaitIdleTimesOutWhileCallRuns() throws Exception {
        dispatcher.dispatch(echo(EchoService.NAME, "block"), r -> { });
        assertFalse(dispatcher.awaitIdle(Duration.ofMillis(100)));
        echo.release.countDown();
        assertTrue(dispatcher.awaitIdle(Duration.ofSeconds(2)));
    }
}
