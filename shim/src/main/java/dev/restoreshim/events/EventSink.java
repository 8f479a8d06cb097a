package dev.restoreshim.events;

import com.google.protobuf.Message;

/**
 * Where task events go: containerd's {@code Events/Forward} on {@code $TTRPC_ADDRESS} in the
 * daemon, a recording list in tests. Implementations must not block the caller for long: the
 * daemon puts a bounded {@link EventPublisher} in front of the transport.
 */
public interface EventSink extends AutoCloseable {

    /**
     * Delivers one event. Throws when delivery failed; the caller decides whether to retry.
     *
     * @param namespace containerd namespace of the task
     * @param topic     one of the {@link Topic} paths
     * @param event     the containerd.events message (TaskCreate, TaskExit, ...)
     */
    void send(String namespace, Topic topic, Message event) throws Exception;

    @Override
    default void close() {
    }
}
