package dev.restoreshim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.proto.task.CreateTaskRequest;
import dev.restoreshim.proto.task.CreateTaskResponse;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import dev.restoreshim.task.CallNamespace;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 2.x as the client of our TTRPC server: a stand-in shim script prints our socket
 * address from {@code start}, {@code ctr run} makes containerd call
 * {@code containerd.task.v2.Task/Create}, which a v3 Task implementation answers through the v2
 * alias. Needs root and containerd/ctr in /usr/bin.
 */
@Tag("containerd")
@EnabledIf("dev.restoreshim.ttrpc.PrivateContainerd#available")
class ContainerdTaskInteropTest {
    @TempDir
    Path dir;

    record Created(CreateTaskRequest request, String namespace) {
    }

    @Test
    void containerdCallsTaskV2CreateAndGetsOurError() throws Exception {
        var created = new LinkedBlockingQueue<Created>();
        var task = new TaskGrpc.TaskImplBase() {
            @Override
            public void create(CreateTaskRequest request, StreamObserver<CreateTaskResponse> response) {
                created.add(new Created(request, CallNamespace.current()));
                response.onError(ShimException.failedPrecondition("create task \"" + request.getId() + "\": interop probe"));
            }
        };
        Path socket = dir.resolve("shim.sock");
        Path shim = dir.resolve("containerd-shim-jtest-v2");
        Files.writeString(shim, """
                #!/bin/sh
                for a in "$@"; do
                  case "$a" in
                    start) printf 'unix://%s'; exit 0 ;;
                    delete) exit 0 ;;
                  esac
                done
                exit 1
                """.formatted(socket));
        Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwx------"));
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));

        try (var dispatcher = TtrpcDispatcher.builder().addTaskService(task).build();
                var server = TtrpcServer.start(socket, dispatcher);
                var containerd = new PrivateContainerd(dir)) {
            String out = containerd.ctr("run", "--runtime", shim.toString(), "--rootfs", rootfs.getParent().toString(),
                    "jtest1", "/bin/busybox", "true");
            Created c = created.poll(10, TimeUnit.SECONDS);
            assertNotNull(c, "containerd never called Create; ctr said: " + out + "\ncontainerd log:\n" + containerd.log());
            assertEquals("jtest1", c.request().getId());
            assertEquals("default", c.namespace());
            assertFalse(c.request().getBundle().isEmpty());
            assertTrue(out.contains("interop probe"), out);
        }
    }
}
