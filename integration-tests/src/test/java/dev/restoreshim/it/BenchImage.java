package dev.restoreshim.it;

import java.io.IOException;

/**
 * The restore benchmark's image: busybox-static (for exec) plus {@code /fill}, a static C program
 * compiled at harness time ({@code gcc -static -O2}) from the test resource {@code bench/fill.c}.
 * It fills {@code BENCH_MIB} MiB with pseudo-random data, prints {@link #FILLED} and then
 * {@code bench: tick K sum X} every 10 ms. Pushed to the loopback registry so that containerd
 * records a repo digest (CRI restore needs one).
 *
 * @param ref the pushed image reference
 */
public record BenchImage(String ref) {

    /** Printed once the memory is filled. */
    public static final String FILLED = "bench: filled ";
    /** The env var the app reads its size in MiB from. */
    public static final String SIZE_ENV = "BENCH_MIB";

    /** Compiles the app, builds the image from scratch and pushes it to {@code registry}. */
    public static BenchImage buildAndPush(LocalRegistry registry) throws IOException {
        return new BenchImage(StaticAppImage.buildAndPush(registry, "/bench/fill.c", "fill", "bench-fill:1"));
    }
}
