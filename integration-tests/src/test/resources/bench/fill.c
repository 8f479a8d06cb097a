/* restore benchmark app: fills N MiB (BENCH_MIB or argv[1], default 64) with pseudo-random data,
 * prints "bench: filled N MiB", then "bench: tick K sum X" every 100 ms (X reads the filled memory). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    const char *arg = argc > 1 ? argv[1] : getenv("BENCH_MIB");
    long mib = arg ? atol(arg) : 64;
    size_t words = ((size_t) mib << 20) / sizeof(unsigned long long);
    unsigned long long *mem = malloc(words * sizeof *mem);
    if (mib <= 0 || mem == NULL) {
        fprintf(stderr, "bench: cannot allocate %ld MiB\n", mib);
        return 1;
    }
    unsigned long long x = 88172645463325252ULL;
    for (size_t i = 0; i < words; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        mem[i] = x;
    }
    printf("bench: filled %ld MiB\n", mib);
    fflush(stdout);
    struct timespec period = {0, 100000000L};
    for (unsigned long tick = 0;; tick++) {
        printf("bench: tick %lu sum %llx\n", tick, mem[(tick * 4099) % words]);
        fflush(stdout);
        nanosleep(&period, NULL);
    }
}
