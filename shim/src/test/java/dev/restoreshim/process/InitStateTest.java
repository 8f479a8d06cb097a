package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.runc.CheckpointOptions;
import dev.restoreshim.runc.RestoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InitStateTest {
    private final List<String> actions = new ArrayList<>();
    private final InitActions a = new InitActions() {
        @Override
        public void start() {
            actions.add("start");
        }

        @Override
        public void restore(RestoreOptions options) {
            actions.add("restore " + options.imagePath());
        }

        @Override
        public void pause() {
            actions.add("pause");
        }

        @Override
        public void resume() {
            actions.add("resume");
        }

        @Override
        public void update(byte[] resources) {
            actions.add("update");
        }

        @Override
        public void checkpoint(CheckpointOptions options) {
            actions.add("checkpoint");
        }

        @Override
        public void kill(int signal, boolean all) {
            actions.add("kill " + signal + " " + all);
        }

        @Override
        public void delete() {
            actions.add("delete");
        }

        @Override
        public void resumeAfterExit() {
            actions.add("resumeAfterExit");
        }
    };

    private static void assertRefused(ErrorKind kind, String message, Runnable r) {
        ShimException e = assertThrows(ShimException.class, r::run);
        assertEquals(kind, e.kind());
        assertEquals(message, e.getMessage());
    }

    @Test
    void created_start_runsAndBecomesRunning() {
        assertInstanceOf(InitState.Running.class, new InitState.Created().start(a));
        assertEquals(List.of("start"), actions);
    }

    @Test
    void createdFromCheckpoint_start_restoresInsteadOfStarting() {
        var s = new InitState.CreatedFromCheckpoint(RestoreOptions.of(Path.of("/img"), null, Path.of("/b"),
                Path.of("/b/init.pid"), null));
        assertInstanceOf(InitState.Running.class, s.start(a));
        assertEquals(List.of("restore /img"), actions);
        assertEquals(ProcessStatus.CREATED, s.status());
    }

    @Test
    void pause_whenCreated_failsPrecondition() {
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot pause task in created state", () -> new InitState.Created().pause(a));
        assertEquals(List.of(), actions);
    }

    @Test
    void running_pauseResume_roundTrips() {
        InitState s = new InitState.Running().pause(a);
        assertInstanceOf(InitState.Paused.class, s);
        assertEquals(ProcessStatus.PAUSED, s.status());
        assertInstanceOf(InitState.Running.class, s.resume(a));
        assertEquals(List.of("pause", "resume"), actions);
    }

    @Test
    void running_illegalOperations_failPrecondition() {
        var r = new InitState.Running();
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot start task in running state", () -> r.start(a));
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot delete task in running state", () -> r.delete(a));
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot resume task in running state", () -> r.resume(a));
    }

    @Test
    void paused_exit_resumesThenStops() {
        assertInstanceOf(InitState.Stopped.class, new InitState.Paused().exited(a));
        assertEquals(List.of("resumeAfterExit"), actions);
    }

    @Test
    void paused_illegalOperations() {
        var p = new InitState.Paused();
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot pause task in paused state", () -> p.pause(a));
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot exec task in paused state", p::checkExec);
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot delete task in paused state", () -> p.delete(a));
    }

    @Test
    void stopped_onlyDeleteAndKill() {
        var s = new InitState.Stopped();
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot start task in stopped state", () -> s.start(a));
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot update task in stopped state", () -> s.update(a, new byte[0]));
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot exec task in stopped state", s::checkExec);
        assertInstanceOf(InitState.Stopped.class, s.kill(a, 9, false));
        assertInstanceOf(InitState.Deleted.class, s.delete(a));
        assertEquals(List.of("kill 9 false", "delete"), actions);
    }

    @Test
    void deleted_killAndDelete_areNotFound() {
        var d = new InitState.Deleted();
        assertRefused(ErrorKind.NOT_FOUND, "cannot kill a deleted process", () -> d.kill(a, 9, false));
        assertRefused(ErrorKind.NOT_FOUND, "cannot delete a deleted process", () -> d.delete(a));
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot start task in deleted state", () -> d.start(a));
        assertEquals(List.of(), actions);
    }

    @Test
    void everyLiveState_exitBecomesStopped() {
        for (InitState s : List.of(new InitState.Created(), new InitState.Running(), new InitState.Stopped())) {
            assertInstanceOf(InitState.Stopped.class, s.exited(a), s.toString());
        }
        assertInstanceOf(InitState.Deleted.class, new InitState.Deleted().exited(a));
    }

    @Test
    void execAllowedOnlyInCreatedAndRunning() {
        new InitState.Created().checkExec();
        new InitState.Running().checkExec();
        assertRefused(ErrorKind.FAILED_PRECONDITION, "cannot exec task in created state",
                () -> new InitState.CreatedFromCheckpoint(RestoreOptions.of(Path.of("/i"), null, Path.of("/b"),
                        Path.of("/p"), null)).checkExec());
    }
}
