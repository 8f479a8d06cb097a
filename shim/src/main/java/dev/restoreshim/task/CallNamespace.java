package dev.restoreshim.task;

import io.grpc.Context;

/**
 * The containerd namespace of the call being served. Both transports set it from their metadata
 * (TTRPC {@code containerd-namespace-ttrpc}, gRPC {@code containerd-namespace}) before the Task
 * implementation runs.
 */
public final class CallNamespace {
    /** gRPC context key holding the namespace; absent means {@link #DEFAULT}. */
    public static final Context.Key<String> KEY = Context.key("containerd-namespace");
    public static final String DEFAULT = "default";
    /** Metadata key containerd sends over TTRPC. */
    public static final String TTRPC_METADATA_KEY = "containerd-namespace-ttrpc";
    /** Header containerd sends over gRPC. */
    public static final String GRPC_METADATA_KEY = "containerd-namespace";

    private CallNamespace() {
    }

    /** The namespace of the current call. */
    public static String current() {
        String ns = KEY.get();
        return ns == null || ns.isEmpty() ? DEFAULT : ns;
    }
}
