package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.restoreshim.proto.task.ConnectRequest;
import dev.restoreshim.proto.task.ConnectResponse;
import dev.restoreshim.proto.ttrpc.Request;
import dev.restoreshim.proto.ttrpc.Response;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TaskAliasTest {

    private static Map<String, String> signatures(io.grpc.ServiceDescriptor service) {
        var out = new TreeMap<String, String>();
        for (MethodDescriptor<?, ?> m : service.getMethods()) {
            var req = ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller()).getMessagePrototype();
            var resp = ((MethodDescriptor.PrototypeMarshaller<?>) m.getResponseMarshaller()).getMessagePrototype();
            out.put(m.getBareMethodName(), m.getType() + " " + req.getClass().getName() + " -> " + resp.getClass().getName());
        }
        return out;
    }

    @Test
    void v2AndV3TaskServicesShareMethodsAndMessages() {
        var v2 = signatures(dev.restoreshim.proto.task.TaskGrpc.getServiceDescriptor());
        var v3 = signatures(dev.restoreshim.proto.task.v3.TaskGrpc.getServiceDescriptor());
        assertEquals(v3, v2);
        assertEquals(17, v3.size());
        assertEquals(TtrpcDispatcher.TASK_V2, dev.restoreshim.proto.task.TaskGrpc.SERVICE_NAME);
        assertEquals(TtrpcDispatcher.TASK_V3, dev.restoreshim.proto.task.v3.TaskGrpc.SERVICE_NAME);
    }

    @Test
    void v3TaskIsServedUnderBothNames() throws Exception {
        var task = new dev.restoreshim.proto.task.v3.TaskGrpc.TaskImplBase() {
            @Override
            public void connect(ConnectRequest request, StreamObserver<ConnectResponse> response) {
                response.onNext(ConnectResponse.newBuilder().setShimPid(7).setVersion(request.getId()).build());
                response.onCompleted();
            }
        };
        try (var dispatcher = TtrpcDispatcher.builder().addTaskService(task).build()) {
            for (String service : new String[] {TtrpcDispatcher.TASK_V2, TtrpcDispatcher.TASK_V3}) {
                var answer = new CompletableFuture<Response>();
                dispatcher.dispatch(Request.newBuilder().setService(service).setMethod("Connect")
                        .setPayload(ConnectRequest.newBuilder().setId(service).build().toByteString()).build(), answer::complete);
                var r = ConnectResponse.parseFrom(answer.get(5, TimeUnit.SECONDS).getPayload());
                assertEquals(service, r.getVersion());
                assertEquals(7, r.getShimPid());
            }
        }
    }

    @Test
    void refusesNonTaskService() {
        assertThrows(IllegalArgumentException.class,
                () -> TtrpcDispatcher.builder().addTaskService(new HealthStatusManager().getHealthService()));
    }
}
