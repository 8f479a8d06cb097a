package dev.restoreshim.ttrpc;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import dev.restoreshim.events.EventSink;
import dev.restoreshim.events.Topic;
import dev.restoreshim.proto.containerd.events.ttrpc.EventsGrpc;
import dev.restoreshim.proto.containerd.events.ttrpc.ForwardRequest;
import dev.restoreshim.proto.containerd.types.Envelope;
import dev.restoreshim.task.CallNamespace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards task events to containerd: {@code containerd.services.events.ttrpc.v1.Events/Forward}
 * on {@code $TTRPC_ADDRESS} with an {@code Envelope{timestamp, namespace, topic, event}}. The event
 * is packed with an empty type URL prefix ({@code /containerd.events.TaskExit}), which containerd
 * 2.1 accepts. Each send is one blocking call; put an {@link dev.restoreshim.events.EventPublisher}
 * in front for queueing and retries.
 */
public final class TtrpcEventSink implements EventSink {
    private static final Logger LOG = LoggerFactory.getLogger(TtrpcEventSink.class);

    private final TtrpcClient client;
    private final Duration timeout;
    private final Clock clock;

    /**
     * @param client  connection to containerd's TTRPC socket; closed with this sink
     * @param timeout per Forward call
     * @param clock   source of the envelope timestamp
     */
    public TtrpcEventSink(TtrpcClient client, Duration timeout, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The sink for a {@code TTRPC_ADDRESS} value ({@code /path} or {@code unix:///path}): events
     * forwarded there with a 5 second timeout, or dropped when the address is empty (CRI-O starts
     * shims without one).
     */
    public static EventSink forAddress(String ttrpcAddress) {
        if (ttrpcAddress == null || ttrpcAddress.isBlank()) {
            LOG.info("event=events_disabled reason=\"TTRPC_ADDRESS is empty\"");
            return (namespace, topic, event) -> LOG.debug("event=event_dropped ns={} topic={}", namespace, topic.path());
        }
        String path = ttrpcAddress.startsWith("unix://") ? ttrpcAddress.substring("unix://".length()) : ttrpcAddress;
        return new TtrpcEventSink(new TtrpcClient(Path.of(path)), Duration.ofSeconds(5), Clock.systemUTC());
    }

    @Override
    public void send(String namespace, Topic topic, Message event) throws Exception {
        Instant now = clock.instant();
        var envelope = Envelope.newBuilder()
                .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .setNamespace(namespace)
                .setTopic(topic.path())
                .setEvent(Any.pack(event, ""))
                .build();
        client.call(EventsGrpc.getForwardMethod(), ForwardRequest.newBuilder().setEnvelope(envelope).build(), timeout,
                Map.of(CallNamespace.TTRPC_METADATA_KEY, namespace));
    }

    @Override
    public void close() {
        client.close();
    }
}
