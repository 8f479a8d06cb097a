package dev.restoreshim.grpc;

import com.google.protobuf.Empty;
import dev.restoreshim.errors.ErrorStatus;
import dev.restoreshim.proto.task.CheckpointTaskRequest;
import dev.restoreshim.proto.task.CloseIORequest;
import dev.restoreshim.proto.task.ConnectRequest;
import dev.restoreshim.proto.task.ConnectResponse;
import dev.restoreshim.proto.task.CreateTaskRequest;
import dev.restoreshim.proto.task.CreateTaskResponse;
import dev.restoreshim.proto.task.DeleteRequest;
import dev.restoreshim.proto.task.DeleteResponse;
import dev.restoreshim.proto.task.ExecProcessRequest;
import dev.restoreshim.proto.task.KillRequest;
import dev.restoreshim.proto.task.PauseRequest;
import dev.restoreshim.proto.task.PidsRequest;
import dev.restoreshim.proto.task.PidsResponse;
import dev.restoreshim.proto.task.ResizePtyRequest;
import dev.restoreshim.proto.task.ResumeRequest;
import dev.restoreshim.proto.task.ShutdownRequest;
import dev.restoreshim.proto.task.StartRequest;
import dev.restoreshim.proto.task.StartResponse;
import dev.restoreshim.proto.task.StateRequest;
import dev.restoreshim.proto.task.StateResponse;
import dev.restoreshim.proto.task.StatsRequest;
import dev.restoreshim.proto.task.StatsResponse;
import dev.restoreshim.proto.task.UpdateTaskRequest;
import dev.restoreshim.proto.task.WaitRequest;
import dev.restoreshim.proto.task.WaitResponse;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import dev.restoreshim.task.TaskService;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Task implementation behind both transports: gRPC serves it as
 * {@code containerd.task.v3.Task}; TTRPC serves the same method handlers under
 * {@code containerd.task.v2.Task} (the messages are identical). Each method translates nothing
 * itself: it delegates to {@link TaskService} and maps failures once, through {@link ErrorStatus}.
 */
public final class TaskServiceAdapter extends TaskGrpc.TaskImplBase {
    private static final Logger log = LoggerFactory.getLogger(TaskServiceAdapter.class);
    private static final Empty EMPTY = Empty.getDefaultInstance();

    private final TaskService tasks;

    public TaskServiceAdapter(TaskService tasks) {
        this.tasks = tasks;
    }

    @Override
    public void state(StateRequest r, StreamObserver<StateResponse> o) {
        unary("State", o, () -> tasks.state(r));
    }

    @Override
    public void create(CreateTaskRequest r, StreamObserver<CreateTaskResponse> o) {
        unary("Create", o, () -> tasks.create(r));
    }

    @Override
    public void start(StartRequest r, StreamObserver<StartResponse> o) {
        unary("Start", o, () -> tasks.start(r));
    }

    @Override
    public void delete(DeleteRequest r, StreamObserver<DeleteResponse> o) {
        unary("Delete", o, () -> tasks.delete(r));
    }

    @Override
    public void pids(PidsRequest r, StreamObserver<PidsResponse> o) {
        unary("Pids", o, () -> tasks.pids(r));
    }

    @Override
    public void pause(PauseRequest r, StreamObserver<Empty> o) {
        unary("Pause", o, () -> { tasks.pause(r); return EMPTY; });
    }

    @Override
    public void resume(ResumeRequest r, StreamObserver<Empty> o) {
        unary("Resume", o, () -> { tasks.resume(r); return EMPTY; });
    }

    @Override
    public void checkpoint(CheckpointTaskRequest r, StreamObserver<Empty> o) {
        unary("Checkpoint", o, () -> { tasks.checkpoint(r); return EMPTY; });
    }

    @Override
    public void kill(KillRequest r, StreamObserver<Empty> o) {
        unary("Kill", o, () -> { tasks.kill(r); return EMPTY; });
    }

    @Override
    public void exec(ExecProcessRequest r, StreamObserver<Empty> o) {
        unary("Exec", o, () -> { tasks.exec(r); return EMPTY; });
    }

    @Override
    public void resizePty(ResizePtyRequest r, StreamObserver<Empty> o) {
        unary("ResizePty", o, () -> { tasks.resizePty(r); return EMPTY; });
    }

    @Override
    public void closeIO(CloseIORequest r, StreamObserver<Empty> o) {
        unary("CloseIO", o, () -> { tasks.closeIo(r); return EMPTY; });
    }

    @Override
    public void update(UpdateTaskRequest r, StreamObserver<Empty> o) {
        unary("Update", o, () -> { tasks.update(r); return EMPTY; });
    }

    @Override
    public void wait(WaitRequest r, StreamObserver<WaitResponse> o) {
        CompletionStage<WaitResponse> exit;
        try {
            exit = tasks.await(r);
        } catch (RuntimeException e) {
            fail("Wait", o, e);
            return;
        }
        exit.whenComplete((response, error) -> {
            if (error != null) {
                fail("Wait", o, error);
            } else {
                o.onNext(response);
                o.onCompleted();
            }
        });
    }

    @Override
    public void stats(StatsRequest r, StreamObserver<StatsResponse> o) {
        unary("Stats", o, () -> tasks.stats(r));
    }

    @Override
    public void connect(ConnectRequest r, StreamObserver<ConnectResponse> o) {
        unary("Connect", o, () -> tasks.connect(r));
    }

    @Override
    public void shutdown(ShutdownRequest r, StreamObserver<Empty> o) {
        unary("Shutdown", o, () -> { tasks.shutdown(r); return EMPTY; });
    }

    private static <T> void unary(String method, StreamObserver<T> o, Callable<T> call) {
        T response;
        try {
            response = call.call();
        } catch (Exception e) {
            fail(method, o, e);
            return;
        }
        o.onNext(response);
        o.onCompleted();
    }

    private static void fail(String method, StreamObserver<?> o, Throwable error) {
        Status status = ErrorStatus.toStatus(error);
        if (status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.INTERNAL) {
            log.warn("rpc={} code={} error={}", method, status.getCode(), status.getDescription(), error);
        } else {
            log.debug("rpc={} code={} error={}", method, status.getCode(), status.getDescription());
        }
        o.onError(status.asRuntimeException());
    }
}
