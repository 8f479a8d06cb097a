/* restore benchmark app: fills N MiB (BENCH_MIB or argv[1], default 64) with pseudo-random data,
 * prints "bench: filled N MiB" and "bench: checksum X" (X covers every filled word), then
 * "bench: tick K sum X" every 10 ms (X reads one word of the filled memory, moving with K; a short
 * period, so that the first tick after a restore shows within ~10 ms when the process runs again).
 * On SIGUSR1 it prints "bench: checksum X" again, read over all of the memory at that moment
 * (a restored copy's pages are then all touched: lazy pages faulted in if not yet served). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t want_checksum;

static void on_usr1(int sig) {
    (void) sig;
    want_checksum = 1;
}

static unsigned long long checksum(const unsigned long long *mem, size_t words) {
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < words; i++) {
        h = (h ^ mem[i]) * 1099511628211ULL;
    }
    return h;
}

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
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    printf("bench: filled %ld MiB\n", mib);
    printf("bench: checksum %llx\n", checksum(mem, words));
    fflush(stdout);
    struct timespec period = {0, 10000000L};
    for (unsigned long tick = 0;; tick++) {
        if (want_checksum) {
            want_checksum = 0;
            printf("bench: checksum %llx\n", checksum(mem, words));
        }
        printf("bench: tick %lu sum %llx\n", tick, mem[(tick * 4099) % words]);
        fflush(stdout);
        nanosleep(&period, NULL);
    }
}
