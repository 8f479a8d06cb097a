package dev.restoreshim.it;

import java.io.IOException;
import java.util.Arrays;

/**
 * What both restore benchmarks ({@link RestoreBench}, {@link RestoreImageBench}) start before
 * anything else, each owned by the run's {@link DemoResources}: the Podman service, a loopback
 * registry, the test images (pause) and the bench image pushed to it. Also their two system
 * properties, which deploy/run-bench.sh has checked.
 *
 * @param registry the loopback registry
 * @param images the test images in it
 * @param bench the bench app's image in it
 */
record BenchSetup(LocalRegistry registry, TestImages images, BenchImage bench) {
    /** Starts the Podman service and the registry and pushes the images. */
    static BenchSetup start(DemoResources resources) throws IOException {
        PodmanService podman = resources.own(PodmanService.start(TestEnvironment.logDir()));
        LocalRegistry registry = resources.own(LocalRegistry.start(podman, TestEnvironment.workDir()));
        TestImages images = TestImages.buildAndPush(registry, TestEnvironment.workDir());
        return new BenchSetup(registry, images, BenchImage.buildAndPush(registry));
    }

    /** {@code bench.sizes}: the memory sizes in MiB, default 64 and 512. */
    static int[] sizes() {
        return Arrays.stream(System.getProperty("bench.sizes", "64 512").trim().split("[ ,]+"))
                .mapToInt(Integer::parseInt).toArray();
    }

    /** {@code bench.runs}: restores per side and size, default 3. */
    static int runs() {
        return Integer.getInteger("bench.runs", 3);
    }
}
