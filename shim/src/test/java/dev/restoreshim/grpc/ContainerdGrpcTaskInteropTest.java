package dev.restoreshim.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.proto.task.CreateTaskRequest;
import dev.restoreshim.proto.task.CreateTaskResponse;
import dev.restoreshim.proto.task.v3.TaskGrpc;
import dev.restoreshim.sys.UnixSocketFile;
import dev.restoreshim.task.CallNamespace;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 2.x as a gRPC client of {@link TaskEndpoint}: the stand-in shim prints
 * {@code {"version":3,"address":<path>,"protocol":"grpc"}} from {@code start}, and containerd
 * calls {@code containerd.task.v3.Task/Create} with the {@code containerd-namespace} header.
 * Needs root and containerd/ctr in /usr/bin.
 *
 * <p>Off unless {@code -Drestoreshim.containerdGrpcInterop=true}: containerd 2.1.9 usually drops
 * the shim before calling Create. Its {@code grpcDialContext} builds the client with
 * {@code grpc.NewClient}, which starts IDLE, and the watcher goroutine treats IDLE as "connection
 * closed": it logs "shim disconnected", runs the dead-shim cleanup (removing the bundle, so
 * writing bootstrap.json fails with ENOENT) unless the first RPC wins the race. Passed 1 run in 9
 * here, with and without the peer-credential check. The TTRPC path has no such race.
 */
@Tag("containerd")
@EnabledIf("available")
@EnabledIfSystemProperty(named = "restoreshim.containerdGrpcInterop", matches = "true")
class ContainerdGrpcTaskInteropTest {
    @TempDir
    Path dir;

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/containerd")) && Files.isExecutable(Path.of("/usr/bin/ctr"))
                && UnixSocketFile.currentUid() == 0;
    }

    record Created(CreateTaskRequest request, String namespace) {
    }

    @Test
    void containerdCallsTaskV3CreateOverGrpc() throws Exception {
        var created = new LinkedBlockingQueue<Created>();
        var task = new TaskGrpc.TaskImplBase() {
            @Override
            public void create(CreateTaskRequest request, StreamObserver<CreateTaskResponse> response) {
                created.add(new Created(request, CallNamespace.current()));
                response.onError(ShimException.failedPrecondition("create task \"" + request.getId() + "\": grpc probe"));
            }
        };
        Path socket = dir.resolve("shim.sock");
        Path shim = dir.resolve("containerd-shim-jgrpc-v2");
        Files.writeString(shim, """
                #!/bin/sh
                for a in "$@"; do
                  case "$a" in
                    start) printf '{"version":3,"address":"%s","protocol":"grpc"}'; exit 0 ;;
                    delete) exit 0 ;;
                  esac
                done
                exit 1
                """.formatted(socket));
        Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwx------"));
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        Path grpc = dir.resolve("c.sock");
        Process containerd = startContainerd(grpc);
        try (var endpoint = TaskEndpoint.start(socket, task, null)) {
            Process ctr = new ProcessBuilder("/usr/bin/ctr", "--address", grpc.toString(), "-n", "k8s.io", "run",
                    "--runtime", shim.toString(), "--rootfs", rootfs.getParent().toString(), "jgrpc1", "/bin/busybox", "true")
                    .redirectErrorStream(true).start();
            String out = new String(ctr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            ctr.waitFor(60, TimeUnit.SECONDS);
            Created c = created.poll(10, TimeUnit.SECONDS);
            assertNotNull(c, "containerd never called Create; ctr said: " + out + "\nlog:\n" + Files.readString(dir.resolve("containerd.log")));
            assertEquals("jgrpc1", c.request().getId());
            assertEquals("k8s.io", c.namespace());
            assertTrue(out.contains("grpc probe"), out);
            assertTrue(containerd.isAlive(), "containerd survived the failed Create");
        } finally {
            containerd.destroy();
            if (!containerd.waitFor(10, TimeUnit.SECONDS)) {
                containerd.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private Process startContainerd(Path grpc) throws IOException, InterruptedException {
        Path ttrpc = dir.resolve("c.sock.ttrpc");
        Path config = dir.resolve("config.toml");
        Files.writeString(config, """
                version = 3
                root = "%s"
                state = "%s"
                disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]
                [grpc]
                  address = "%s"
                [ttrpc]
                  address = "%s"
                """.formatted(dir.resolve("root"), dir.resolve("state"), grpc, ttrpc));
        Process p = new ProcessBuilder("/usr/bin/containerd", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!UnixSocketFile.isListening(grpc)) {
            if (System.nanoTime() > deadline || !p.isAlive()) {
                p.destroyForcibly();
                throw new IOException("containerd did not start: " + Files.readString(dir.resolve("containerd.log")));
            }
            Thread.sleep(50);
        }
        return p;
    }

}
