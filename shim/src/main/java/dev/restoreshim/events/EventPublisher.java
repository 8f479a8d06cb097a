package dev.restoreshim.events;

import com.google.protobuf.Message;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded queue in front of an {@link EventSink}, itself an {@code EventSink}: {@link #send}
 * only enqueues, and one sender thread delivers events in the order they were sent. A failed
 * delivery is retried in place (so order is kept) up to {@code maxAttempts} times with doubling
 * backoff, then the event is evicted and logged, as containerd's shim publisher does. When the
 * queue is full, {@code send} waits up to {@code enqueueTimeout}, then refuses the event with
 * UNAVAILABLE. {@link #close(Duration)} stops accepting and drains what is queued.
 */
public final class EventPublisher implements EventSink {
    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);
    /** Queue capacity containerd's shim publisher uses. */
    public static final int DEFAULT_CAPACITY = 2048;
    public static final int DEFAULT_MAX_ATTEMPTS = 5;

    private record Event(String namespace, Topic topic, Message message, long queuedNanos) {
    }

    /** Queued by {@link #close} to wake the sender at once; never delivered. */
    private static final Event WAKE_UP = new Event("", Topic.TASK_EXIT, com.google.protobuf.Empty.getDefaultInstance(), 0);

    private final EventSink sink;
    private final BlockingQueue<Event> queue;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration enqueueTimeout;
    private final Thread sender;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong evicted = new AtomicLong();
    private volatile boolean closing;
    /** The event the sender is delivering, or null; for the count of events dropped at close. */
    private volatile Event sending;

    /** A publisher with containerd's limits: 2048 queued events, 5 attempts, 100 ms first backoff. */
    public EventPublisher(EventSink sink) {
        this(sink, DEFAULT_CAPACITY, DEFAULT_MAX_ATTEMPTS, Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    /**
     * @param sink           where events go; closed with this publisher
     * @param capacity       queue bound
     * @param maxAttempts    deliveries tried per event before it is evicted (at least 1)
     * @param initialBackoff wait after the first failure, doubled after each further one
     * @param enqueueTimeout how long {@link #send} waits for room in a full queue
     */
    public EventPublisher(EventSink sink, int capacity, int maxAttempts, Duration initialBackoff, Duration enqueueTimeout) {
        if (capacity < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("capacity: %d, maxAttempts: %d (expected: >= 1)".formatted(capacity, maxAttempts));
        }
        this.sink = Objects.requireNonNull(sink, "sink");
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.maxAttempts = maxAttempts;
        this.initialBackoff = Objects.requireNonNull(initialBackoff, "initialBackoff");
        this.enqueueTimeout = Objects.requireNonNull(enqueueTimeout, "enqueueTimeout");
        this.sender = Thread.ofPlatform().name("event-publisher").daemon().start(this::run);
    }

    /**
     * Queues an event for delivery.
     *
     * @throws ShimException UNAVAILABLE if the publisher is closed or the queue stayed full
     */
    @Override
    public void send(String namespace, Topic topic, Message event) {
        var e = new Event(Objects.requireNonNull(namespace, "namespace"), Objects.requireNonNull(topic, "topic"),
                Objects.requireNonNull(event, "event"), System.nanoTime());
        if (closing) {
            throw new ShimException(ErrorKind.UNAVAILABLE, "publish " + topic.path() + ": event publisher is closed");
        }
        try {
            if (!queue.offer(e, enqueueTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                evicted.incrementAndGet();
                LOG.error("event=event_evicted ns={} topic={} reason=\"queue full ({} events) for {} ms\"",
                        namespace, topic.path(), queue.size(), enqueueTimeout.toMillis());
                throw new ShimException(ErrorKind.UNAVAILABLE, "publish " + topic.path() + ": event queue is full");
            }
            if (closing && stopped.getCount() == 0 && queue.remove(e)) {
                // close() finished between the check above and the offer: nobody will send it
                throw new ShimException(ErrorKind.UNAVAILABLE, "publish " + topic.path() + ": event publisher is closed");
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new ShimException(ErrorKind.CANCELLED, "publish " + topic.path() + ": interrupted");
        }
    }

    /** Events dropped so far, after failed deliveries or a full queue. */
    public long evictedCount() {
        return evicted.get();
    }

    /** Events waiting to be delivered. */
    public int queued() {
        return (int) queue.stream().filter(e -> e != WAKE_UP).count();
    }

    private void run() {
        try {
            while (!(closing && queue.isEmpty())) {
                Event e = queue.poll(50, TimeUnit.MILLISECONDS);
                if (e != null && e != WAKE_UP) {
                    sending = e;
                    deliver(e);
                    sending = null;
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    private void deliver(Event e) throws InterruptedException {
        long backoff = initialBackoff.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                long sendStart = System.nanoTime();
                sink.send(e.namespace(), e.topic(), e.message());
                if (LOG.isDebugEnabled()) {
                    long now = System.nanoTime();
                    LOG.debug("event=event_sent ns={} topic={} queued_ms={} send_ms={}", e.namespace(), e.topic().path(),
                            String.format("%.1f", (sendStart - e.queuedNanos()) / 1e6), String.format("%.1f", (now - sendStart) / 1e6));
                }
                return;
            } catch (Exception failure) {
                if (failure instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("event publisher stopped while sending " + e.topic().path());
                }
                if (attempt >= maxAttempts) {
                    evicted.incrementAndGet();
                    LOG.error("event=event_evicted ns={} topic={} attempts={} reason=\"{}\"", e.namespace(),
                            e.topic().path(), attempt, failure.getMessage());
                    return;
                }
                LOG.debug("event=event_retry ns={} topic={} attempt={} backoff_ms={} reason=\"{}\"", e.namespace(),
                        e.topic().path(), attempt, backoff, failure.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 5_000);
            }
        }
    }

    /**
     * Stops accepting events, waits up to {@code drain} for the queue to empty, then stops the
     * sender and closes the sink.
     *
     * @return true if every queued event was handled (delivered or evicted) in time
     */
    public boolean close(Duration drain) {
        closing = true;
        queue.offer(WAKE_UP);
        boolean drained;
        try {
            drained = stopped.await(drain.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        if (!drained) {
            queue.remove(WAKE_UP);
            int dropped = queue.size() + (sending != null ? 1 : 0);
            queue.clear();
            sender.interrupt();
            evicted.addAndGet(dropped);
            LOG.error("event=events_dropped_at_close count={} timeout_ms={}", dropped, drain.toMillis());
        }
        sink.close();
        return drained;
    }

    /** {@link #close(Duration)} with a 5 second drain. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
