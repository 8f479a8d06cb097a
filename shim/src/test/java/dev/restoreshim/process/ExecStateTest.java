package dev.restoreshim.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecStateTest {
    private final List<String> actions = new ArrayList<>();
    private final ExecActions a = new ExecActions() {
        @Override
        public int start() {
            actions.add("start");
            return 42;
        }

        @Override
        public void kill(int signal) {
            actions.add("kill " + signal);
        }

        @Override
        public void delete() {
            actions.add("delete");
        }
    };

    private static ErrorKind kindOf(Runnable r) {
        return assertThrows(ShimException.class, r::run).kind();
    }

    @Test
    void lifecycle_createdRunningStoppedDeleted() {
        ExecState s = new ExecState.Created().start(a);
        assertInstanceOf(ExecState.Running.class, s);
        s = s.kill(a, 15);
        s = s.exited();
        assertEquals(ProcessStatus.STOPPED, s.status());
        assertInstanceOf(ExecState.Deleted.class, s.delete(a));
        assertEquals(List.of("start", "kill 15", "delete"), actions);
    }

    @Test
    void running_deleteAndStart_failPrecondition() {
        var r = new ExecState.Running();
        assertEquals(ErrorKind.FAILED_PRECONDITION, kindOf(() -> r.delete(a)));
        assertEquals(ErrorKind.FAILED_PRECONDITION, kindOf(() -> r.start(a)));
    }

    @Test
    void stopped_kill_isNotFoundProcessAlreadyFinished() {
        ShimException e = assertThrows(ShimException.class, () -> new ExecState.Stopped().kill(a, 9));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertEquals("process already finished", e.getMessage());
    }

    @Test
    void deleted_killAndDelete_areNotFound() {
        assertEquals(ErrorKind.NOT_FOUND, kindOf(() -> new ExecState.Deleted().kill(a, 9)));
        assertEquals(ErrorKind.NOT_FOUND, kindOf(() -> new ExecState.Deleted().delete(a)));
        assertEquals(List.of(), actions);
    }

    @Test
    void created_kill_failsPrecondition_andDeleteIsAllowed() {
        assertEquals(ErrorKind.FAILED_PRECONDITION, kindOf(() -> new ExecState.Created().kill(a, 9)));
        assertInstanceOf(ExecState.Deleted.class, new ExecState.Created().delete(a));
    }
}
