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
    void create_refusedCriuAnnotation_invalidArgumentBeforeAnythingIsCreated() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("criu"));
        Path images = Files.createDirectories(dir.resolve("images"));
        Files.writeString(bundle.resolve("config.json"), "{\"annotations\":{\"restore-shim.dev/checkpoint\":\"" + images
                + "\",\"restore-shim.dev/criu-ext-unix-sk\":\"true\"}}");
        var criu = new dev.restoreshim.restore.CriuSetup(dev.restoreshim.criu.CriuPolicy.of(java.util.Map.of(),
                List.of("tcp-established", "file-locks"), List.of()), dev.restoreshim.restore.CriuSetup.closed()::features);
        // a directory of images never touches the restore environment
        var runtime = new RestoringTaskRuntime(delegate, new dev.restoreshim.restore.Restorer(null), criu,
                new dev.restoreshim.restore.RecentRestores());
        var e = assertThrows(ShimException.class, () -> runtime.create(
                CreateSpec.of("k8s.io", "app", bundle, List.of(), Stdio.none()), ExitListener.none()));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("annotation \"restore-shim.dev/criu-ext-unix-sk\""), e.getMessage());
        assertTrue(e.getMessage().contains("allowed: tcp-established, file-locks"), e.getMessage());
        assertTrue(created.isEmpty());
        assertTrue(Files.notExists(bundle.resolve(dev.restoreshim.criu.CriuConfigFile.NAME)));
    }

    @Test
    void create_allowedCriuAnnotation_writesConfigAndAnnotationBeforeTheContainerIsCreated() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("ok"));
        Path images = Files.createDirectories(dir.resolve("images-ok"));
        Files.writeString(bundle.resolve("config.json"), "{\"annotations\":{\"restore-shim.dev/checkpoint\":\"" + images
                + "\",\"restore-shim.dev/criu-file-locks\":\"true\"}}");
        var criu = new dev.restoreshim.restore.CriuSetup(dev.restoreshim.criu.CriuPolicy.of(java.util.Map.of(),
                List.of("file-locks"), List.of()), dev.restoreshim.restore.CriuSetup.closed()::features);
        var runtime = new RestoringTaskRuntime(delegate, new dev.restoreshim.restore.Restorer(null), criu,
                new dev.restoreshim.restore.RecentRestores());
        assertThrows(ShimException.class, () -> runtime.create(
                CreateSpec.of("k8s.io", "app", bundle, List.of(), Stdio.none()), ExitListener.none()));
        assertEquals(List.of("app"), created, "the delegate ran (and failed as this fake does)");
        Path conf = bundle.resolve(dev.restoreshim.criu.CriuConfigFile.NAME);
        assertTrue(Files.readAllLines(conf).contains("file-locks"));
        assertTrue(Files.readString(bundle.resolve("config.json")).contains("\"org.criu.config\":\"" + conf + "\""));
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
