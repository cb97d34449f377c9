// Sleeps for an hour and reports how much time it saw pass.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec before, after;
    clock_gettime(CLOCK_MONOTONIC, &before);
    time_t wall_before = time(NULL);
    unsigned left = sleep(3600);
    clock_gettime(CLOCK_MONOTONIC, &after);
    time_t wall_after = time(NULL);
    printf("left=%u\n", left);
    printf("monotonic_elapsed=%lld\n", (long long)(after.tv_sec - before.tv_sec));
    printf("realtime_elapsed=%lld\n", (long long)(wall_after - wall_before));
    return 0;
}
