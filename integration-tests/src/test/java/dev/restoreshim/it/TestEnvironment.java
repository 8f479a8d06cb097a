package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What all integration tests of one run share, created once and closed at the end of the run
 * (JUnit's root store closes it): the host check, the Podman service, the loopback registry and
 * the test images pushed to it. Register with {@code @ExtendWith(TestEnvironment.class)}.
 */
public final class TestEnvironment implements BeforeAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TestEnvironment.class);
    private static volatile Shared shared;

    /** The shared services; closing stops the registry and the Podman service. */
    public record Shared(PodmanService podman, LocalRegistry registry, TestImages images) implements AutoCloseable {
        @Override
        public void close() {
            try {
                registry.close();
            } finally {
                podman.close();
                TestEnvironment.shared = null;
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        HostTools.requireAll();
        shared = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("shared", key -> create(), Shared.class);
    }

    /** The shared services; only valid inside a test class extended with this extension. */
    public static Shared shared() {
        Shared current = shared;
        if (current == null) {
            throw new IllegalStateException("TestEnvironment not started: annotate the test class with @ExtendWith(TestEnvironment.class)");
        }
        return current;
    }

    /** The images pushed to the shared registry. */
    public static TestImages images() {
        return shared().images();
    }

    /** {@code integration-tests/target} (system property {@code it.workdir}, set by failsafe). */
    public static Path workDir() {
        return Path.of(System.getProperty("it.workdir", "target")).toAbsolutePath().normalize();
    }

    /** The repository root (system property {@code it.repo}, set by failsafe). */
    public static Path repoDir() {
        return Path.of(System.getProperty("it.repo", "..")).toAbsolutePath().normalize();
    }

    /** Where containerd, Podman and test logs are kept for debugging. */
    public static Path logDir() {
        return workDir().resolve("it-logs");
    }

    private static Shared create() {
        try {
            Files.createDirectories(logDir());
            PodmanService podman = PodmanService.start(logDir());
            try {
                LocalRegistry registry = LocalRegistry.start(podman, workDir());
                try {
                    return new Shared(podman, registry, TestImages.buildAndPush(registry, workDir()));
                } catch (IOException | RuntimeException e) {
                    registry.close();
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                podman.close();
                throw e;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot set up the shared test environment: " + e.getMessage(), e);
        }
    }
}
