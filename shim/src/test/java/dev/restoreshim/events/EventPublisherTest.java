package dev.restoreshim.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventPublisherTest {

    /** Records deliveries; fails an event as often as told before accepting it. */
    static final class FlakySink implements EventSink {
        final List<String> delivered = Collections.synchronizedList(new ArrayList<>());
        final List<String> attempts = Collections.synchronizedList(new ArrayList<>());
        final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public void send(String namespace, Topic topic, Message event) throws Exception {
            gate.await();
            String id = ((StringValue) event).getValue();
            attempts.add(id);
            AtomicInteger left = failuresLeft.get(id);
            if (left != null && left.getAndDecrement() > 0) {
                throw new java.io.IOException("containerd unavailable");
            }
            delivered.add(namespace + " " + topic.path() + " " + id);
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    private static EventPublisher publisher(EventSink sink, int capacity, int attempts) {
        return new EventPublisher(sink, capacity, attempts, Duration.ofMillis(5), Duration.ofMillis(50));
    }

    @Test
    void retriesFailedSendInPlaceKeepingOrder() {
        var sink = new FlakySink();
        sink.failuresLeft.put("b", new AtomicInteger(2));
        var p = publisher(sink, 16, 5);
        p.send("default", Topic.TASK_CREATE, StringValue.of("a"));
        p.send("default", Topic.TASK_START, StringValue.of("b"));
        p.send("default", Topic.TASK_EXIT, StringValue.of("c"));
        assertTrue(p.close(Duration.ofSeconds(5)));
        assertEquals(List.of("default /tasks/create a", "default /tasks/start b", "default /tasks/exit c"), sink.delivered);
        assertEquals(List.of("a", "b", "b", "b", "c"), sink.attempts);
        assertEquals(0, p.evictedCount());
        assertTrue(sink.closed.get());
    }

    @Test
    void evictsAfterMaxAttemptsAndGoesOn() {
        var sink = new FlakySink();
        sink.failuresLeft.put("b", new AtomicInteger(100));
        var p = publisher(sink, 16, 3);
        for (String id : List.of("a", "b", "c")) {
            p.send("k8s.io", Topic.TASK_OOM, StringValue.of(id));
        }
        assertTrue(p.close(Duration.ofSeconds(5)));
        assertEquals(List.of("k8s.io /tasks/oom a", "k8s.io /tasks/oom c"), sink.delivered);
        assertEquals(List.of("a", "b", "b", "b", "c"), sink.attempts);
        assertEquals(1, p.evictedCount());
    }

    @Test
    void fullQueueRefusesAfterTimeout() throws Exception {
        var sink = new FlakySink();
        sink.gate = new CountDownLatch(1);
        var p = publisher(sink, 2, 1);
        p.send("ns", Topic.TASK_CREATE, StringValue.of("taken-by-sender"));
        while (p.queued() > 0) {
            Thread.sleep(1);
        }
        p.send("ns", Topic.TASK_CREATE, StringValue.of("q1"));
        p.send("ns", Topic.TASK_CREATE, StringValue.of("q2"));
        var e = assertThrows(ShimException.class, () -> p.send("ns", Topic.TASK_CREATE, StringValue.of("q3")));
        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        sink.gate.countDown();
        assertTrue(p.close(Duration.ofSeconds(5)));
        assertEquals(3, sink.delivered.size());
        assertEquals(1, p.evictedCount());
    }

    @Test
    void idleCloseIsImmediate() {
        var p = publisher(new FlakySink(), 8, 1);
        long t = System.nanoTime();
        assertTrue(p.close(Duration.ofSeconds(5)));
        assertTrue(System.nanoTime() - t < TimeUnit.MILLISECONDS.toNanos(500));
        assertEquals(0, p.evictedCount());
    }

    @Test
    void closeGivesUpAfterTimeoutAndRefusesNewEvents() throws Exception {
        var sink = new FlakySink();
        sink.gate = new CountDownLatch(1);
        var p = publisher(sink, 8, 1);
        p.send("ns", Topic.TASK_EXIT, StringValue.of("stuck"));
        p.send("ns", Topic.TASK_EXIT, StringValue.of("queued"));
        assertFalse(p.close(Duration.ofMillis(100)));
        assertEquals(2, p.evictedCount(), "the stuck and the queued event");
        assertThrows(ShimException.class, () -> p.send("ns", Topic.TASK_EXIT, StringValue.of("late")));
        assertTrue(sink.closed.get());
        sink.gate.countDown();
        TimeUnit.MILLISECONDS.sleep(50);
        assertFalse(sink.delivered.contains("ns /tasks/exit queued"));
    }
}
