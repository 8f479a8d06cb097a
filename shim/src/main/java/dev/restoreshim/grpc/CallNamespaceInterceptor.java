package dev.restoreshim.grpc;

import dev.restoreshim.task.CallNamespace;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Puts the {@code containerd-namespace} header of each call into {@link CallNamespace#KEY}, so
 * the Task implementation sees the same namespace whichever transport carried the call. A call
 * without the header gets {@link CallNamespace#DEFAULT}.
 */
public final class CallNamespaceInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> HEADER =
            Metadata.Key.of(CallNamespace.GRPC_METADATA_KEY, Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String ns = headers.get(HEADER);
        Context context = Context.current().withValue(CallNamespace.KEY,
                ns == null || ns.isEmpty() ? CallNamespace.DEFAULT : ns);
        return Contexts.interceptCall(context, call, headers, next);
    }
}
