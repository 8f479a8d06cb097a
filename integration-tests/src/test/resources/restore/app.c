/* restore test app: fills APP_MIB MiB (default 8) with pseudo-random data seeded from the clock and
 * pid (a cold start gets another checksum), writes /etc/app-written into its rootfs, deletes
 * /etc/rsit-release of its image, prints "app: started", then every 100 ms
 * "app: tick K sum X" (X: a checksum of all the filled memory) to stdout and to /tmp/app.state.
 * A closed stdout (SIGPIPE, EPIPE) does not stop it; SIGTERM ends it at once (as pid 1 of its pid
 * namespace it needs a handler for that). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static unsigned long long checksum(const unsigned long long *mem, size_t words) {
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < words; i++) {
        h = (h ^ mem[i]) * 1099511628211ULL;
    }
    return h;
}

static void on_term(int sig) {
    (void) sig;
    _exit(0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    const char *arg = getenv("APP_MIB");
    long mib = arg ? atol(arg) : 8;
    size_t words = ((size_t) mib << 20) / sizeof(unsigned long long);
    unsigned long long *mem = malloc(words * sizeof *mem);
    if (mib <= 0 || mem == NULL) {
        fprintf(stderr, "app: cannot allocate %ld MiB\n", mib);
        return 1;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned long long x = 88172645463325252ULL ^ (unsigned long long) now.tv_nsec ^ ((unsigned long long) getpid() << 32);
    for (size_t i = 0; i < words; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        mem[i] = x;
    }
    FILE *w = fopen("/etc/app-written", "w");
    if (w == NULL || fprintf(w, "written by app\n") < 0 || fclose(w) != 0) {
        fprintf(stderr, "app: cannot write /etc/app-written\n");
        return 1;
    }
    if (unlink("/etc/rsit-release") != 0) {
        fprintf(stderr, "app: cannot delete /etc/rsit-release\n");
        return 1;
    }
    printf("app: started %ld MiB\n", mib);
    fflush(stdout);
    struct timespec period = {0, 100000000L};
    for (unsigned long tick = 0;; tick++) {
        unsigned long long sum = checksum(mem, words);
        printf("app: tick %lu sum %016llx\n", tick, sum);
        fflush(stdout);
        FILE *state = fopen("/tmp/app.state", "w");
        if (state != NULL) {
            fprintf(state, "app: tick %lu sum %016llx\n", tick, sum);
            fclose(state);
        }
        nanosleep(&period, NULL);
    }
}
