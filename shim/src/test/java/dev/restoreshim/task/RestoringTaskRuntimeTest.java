package dev.restoreshim.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import dev.restoreshim.errors.ErrorKind;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExitListener;
import dev.restoreshim.process.Stdio;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node whose restores are off still runs ordinary containers and refuses restores clearly. */
class RestoringTaskRuntimeTest {
    @TempDir
    Path dir;

    private final List<String> created = new ArrayList<>();

    private final TaskRuntime delegate = new TaskRuntime() {
        @Override
        public Container create(CreateSpec spec, ExitListener listener) {
            created.add(spec.id());
            throw ShimException.notImplemented("recorded only");
        }

        @Override
        public Container adopt(ContainerRecord record, ExitListener listener) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void cleanup(Container container) {
        }

        @Override
        public Any stats(int pid) {
            return Any.getDefaultInstance();
        }
    };

    @Test
    void disabled_refusesARestoreNamingTheReason_withoutCreatingAnything() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Path archive = Files.writeString(dir.resolve("app.tar"), "not read");
        Files.writeString(bundle.resolve("config.json"),
                "{\"annotations\":{\"restore-shim.dev/checkpoint\":\"" + archive + "\"}}");
        var runtime = RestoringTaskRuntime.disabled(delegate, "delta cache /var/lib/restore-shim/cache: read-only file system");
        var e = assertThrows(ShimException.class, () -> runtime.create(
                CreateSpec.of("k8s.io", "app", bundle, List.of(), Stdio.none()), ExitListener.none()));
        assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
        assertEquals("create task \"app\": restore from " + archive + " requested, but restores are disabled on this "
                + "node: delta cache /var/lib/restore-shim/cache: read-only file system", e.getMessage());
        assertTrue(created.isEmpty());
    }

    @Test
    void disabled_passesOrdinaryCreatesThrough() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("plain"));
        Files.writeString(bundle.resolve("config.json"), "{}");
        var runtime = RestoringTaskRuntime.disabled(delegate, "off");
        assertThrows(ShimException.class, () -> runtime.create(
                CreateSpec.of("k8s.io", "web", bundle, List.of(), Stdio.none()), ExitListener.none()));
        assertEquals(List.of("web"), created);
    }
}
