package dev.restoreshim.ttrpc;

import com.google.protobuf.StringValue;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.task.CallNamespace;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/** A tiny unary test service whose behaviour is chosen by the request text. */
final class EchoService {
    static final String NAME = "test.v1.Echo";
    static final MethodDescriptor<StringValue, StringValue> ECHO = unary("Echo");
    static final MethodDescriptor<StringValue, StringValue> STREAM = MethodDescriptor.<StringValue, StringValue>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(NAME, "Stream"))
            .setRequestMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
            .build();

    final AtomicReference<String> lastHeader = new AtomicReference<>();
    final CountDownLatch cancelled = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch started = new CountDownLatch(1);

    static MethodDescriptor<StringValue, StringValue> unary(String method) {
        return MethodDescriptor.<StringValue, StringValue>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(NAME, method))
                .setRequestMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
                .setResponseMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
                .build();
    }

    ServerServiceDefinition definition() {
        var def = ServerServiceDefinition.builder(NAME)
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, obs) -> {
                    String v = req.getValue();
                    switch (v) {
                        case "ns" -> {
                            obs.onNext(StringValue.of(CallNamespace.current()));
                            obs.onCompleted();
                        }
                        case "not-found" -> throw ShimException.notFound("state task \"x\": not found");
                        case "on-error" -> obs.onError(ShimException.failedPrecondition("start task \"x\": task is running"));
                        case "boom" -> throw new IllegalStateException("boom");
                        case "block" -> {
                            Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
                            started.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            obs.onNext(StringValue.of("late"));
                            obs.onCompleted();
                        }
                        default -> {
                            if (v.startsWith("sleep:")) {
                                try {
                                    Thread.sleep(Long.parseLong(v.substring(6)));
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                            obs.onNext(StringValue.of(v));
                            obs.onCompleted();
                        }
                    }
                }))
                .addMethod(STREAM, ServerCalls.asyncServerStreamingCall((req, obs) -> obs.onCompleted()))
                .build();
        ServerInterceptor capture = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                lastHeader.set(headers.get(Metadata.Key.of("x-test", Metadata.ASCII_STRING_MARSHALLER)));
                return next.startCall(call, headers);
            }
        };
        return ServerInterceptors.intercept(def, capture);
    }
}
