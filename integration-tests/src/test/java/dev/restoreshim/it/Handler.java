package dev.restoreshim.it;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A runtime handler variant the tests run against: the CRI handler name, the containerd runtime
 * type behind it, and for restore-shim the protocol its launcher announces.
 *
 * <p>Which variants run is decided in one place, {@link #tested()}: the system property
 * {@code it.handlers} (comma separated ids, e.g. {@code -Dit.handlers=runc}) or else
 * {@link #DEFAULT_TESTED}.
 */
public enum Handler {
    /** containerd's own runc shim: proves the harness. */
    RUNC("runc", "runc", "io.containerd.runc.v2", null),
    /** restore-shim, launcher prints a plain address: TTRPC {@code containerd.task.v2.Task}. */
    RESTORE_TTRPC("restore-ttrpc", "restore", "io.containerd.restore.v2", "ttrpc"),
    /** restore-shim, launcher prints {@code {"version":3,...,"protocol":"grpc"}}: gRPC task v3. */
    RESTORE_GRPC("restore-grpc", "restore", "io.containerd.restore.v2", "grpc");

    /**
     * Variants run when {@code it.handlers} is not set. {@code restore-grpc} is left out because
     * containerd 2.1.9 drops every gRPC shim before its first call (docs/protocols.md); the gRPC
     * endpoint is covered by {@link GrpcTaskEndpointIT} instead. Add it back with
     * {@code -Dit.handlers=runc,restore-ttrpc,restore-grpc} on a containerd that keeps gRPC shims.
     */
    public static final String DEFAULT_TESTED = "runc,restore-ttrpc";

    private final String id;
    private final String criName;
    private final String runtimeType;
    private final String protocol;

    Handler(String id, String criName, String runtimeType, String protocol) {
        this.id = id;
        this.criName = criName;
        this.runtimeType = runtimeType;
        this.protocol = protocol;
    }

    /** Short id used in {@code it.handlers}, test names and log file names. */
    public String id() {
        return id;
    }

    /** The CRI {@code runtime_handler} name registered in containerd's config. */
    public String criName() {
        return criName;
    }

    /** The containerd runtime type ({@code ctr run --runtime}). */
    public String runtimeType() {
        return runtimeType;
    }

    /** restore-shim's protocol setting, or null for runc. */
    public String protocol() {
        return protocol;
    }

    /** True for the restore-shim variants, which need the installed launcher. */
    public boolean isRestoreShim() {
        return protocol != null;
    }

    /** The variants to test, from {@code it.handlers} or {@link #DEFAULT_TESTED}. */
    public static List<Handler> tested() {
        String wanted = System.getProperty("it.handlers", DEFAULT_TESTED);
        return Arrays.stream(wanted.split(",")).map(String::strip).filter(s -> !s.isEmpty()).map(Handler::byId).toList();
    }

    /** {@link #tested()} as a stream, for {@code @MethodSource}. */
    public static Stream<Handler> testedStream() {
        return tested().stream();
    }

    /** The tested restore-shim variants, for {@code @MethodSource}. */
    public static Stream<Handler> testedRestoreShim() {
        return tested().stream().filter(Handler::isRestoreShim);
    }

    /** The tested restore-shim variants that speak TTRPC, for {@code @MethodSource}. */
    public static Stream<Handler> testedRestoreShimTtrpc() {
        return tested().stream().filter(h -> "ttrpc".equals(h.protocol));
    }

    /** The tested restore-shim variants that speak gRPC, for {@code @MethodSource}. */
    public static Stream<Handler> testedRestoreShimGrpc() {
        return tested().stream().filter(h -> "grpc".equals(h.protocol));
    }

    static Handler byId(String id) {
        for (Handler h : values()) {
            if (h.id.equals(id)) {
                return h;
            }
        }
        throw new IllegalArgumentException("unknown handler in it.handlers: " + id + " (known: runc, restore-ttrpc, restore-grpc)");
    }

    @Override
    public String toString() {
        return id;
    }
}
