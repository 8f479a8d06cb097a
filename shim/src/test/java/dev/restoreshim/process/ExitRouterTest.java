package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ExitRouterTest {
    private final List<String> events = new ArrayList<>();
    private final CountDownLatch killed = new CountDownLatch(1);
    private final ExitRouter router = new ExitRouter("c", new ExitListener() {
        @Override
        public void started(String containerId, String execId, int pid) {
            events.add("start " + name(execId));
        }

        @Override
        public void exited(String containerId, String execId, int pid, ExitInfo exit) {
            events.add("exit " + name(execId));
        }
    }, killed::countDown);

    private static String name(String execId) {
        return execId.isEmpty() ? "init" : execId;
    }

    private void exit(String execId) {
        router.exited(execId, 1, new ExitInfo(1, 0, Instant.EPOCH), () -> events.add("done " + name(execId)));
    }

    private void start(String execId) {
        router.beginStart(execId);
        router.finishStart(execId, 1, true);
    }

    @Test
    void initExit_waitsForAllLiveExecs_andAsksToKillThem() throws Exception {
        start("");
        start("a");
        start("b");
        exit("");
        assertEquals(true, killed.await(5, TimeUnit.SECONDS));
        exit("b");
        assertEquals(List.of("start init", "start a", "start b", "exit b", "done b"), events);
        exit("a");
        assertEquals(List.of("start init", "start a", "start b", "exit b", "done b", "exit a", "done a", "exit init",
                "done init"), events);
    }

    @Test
    void exitDuringStart_isHeldUntilStartIsReported() {
        router.beginStart("");
        exit("");
        assertEquals(List.of(), events);
        router.finishStart("", 1, true);
        assertEquals(List.of("start init", "exit init", "done init"), events);
    }

    @Test
    void failedStart_reportsNoStart_butReleasesAHeldExit() {
        router.beginStart("x");
        exit("x");
        router.finishStart("x", 0, false);
        assertEquals(List.of("exit x", "done x"), events);
        assertEquals(0, router.liveExecs());
    }

    @Test
    void initExit_withoutExecs_isImmediate() {
        start("");
        exit("");
        assertEquals(List.of("start init", "exit init", "done init"), events);
        assertEquals(1, killed.getCount());
    }

    @Test
    void failingListener_stillCompletesTheWaiter() {
        ExitRouter r = new ExitRouter("c", new ExitListener() {
            @Override
            public void started(String containerId, String execId, int pid) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void exited(String containerId, String execId, int pid, ExitInfo exit) {
                throw new IllegalStateException("boom");
            }
        }, () -> { });
        r.beginStart("");
        r.finishStart("", 1, true);
        r.exited("", 1, new ExitInfo(1, 0, null), () -> events.add("done"));
        assertEquals(List.of("done"), events);
    }
}
