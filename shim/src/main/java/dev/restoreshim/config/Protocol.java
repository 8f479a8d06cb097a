package dev.restoreshim.config;

/**
 * The protocol containerd uses to call the daemon, chosen by what {@code start} prints: a plain
 * {@code unix://} address means TTRPC ({@code containerd.task.v2.Task}, every containerd from 1.7
 * and CRI-O), the JSON form with {@code "protocol":"grpc"} means gRPC ({@code containerd.task.v3.Task},
 * containerd 2.x only). The daemon serves both sockets either way.
 */
public enum Protocol {
    TTRPC("ttrpc"),
    GRPC("grpc");

    private final String configName;

    Protocol(String configName) {
        this.configName = configName;
    }

    /** The spelling used in the config file and in {@code start}'s JSON output. */
    public String configName() {
        return configName;
    }

    /** Parses the config spelling; returns null when the value is not a protocol name. */
    static Protocol parse(String value) {
        for (Protocol p : values()) {
            if (p.configName.equals(value)) {
                return p;
            }
        }
        return null;
    }
}
