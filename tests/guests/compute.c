// A well-behaved program: some arithmetic, a little memory, clocks and randomness, output on
// both streams, a file in /out when it is mounted. Its record depends only on its inputs.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    uint64_t *table = malloc(sizeof(uint64_t) * 4096);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        table[x & 4095] += x;
    }
    uint64_t sum = 0;
    for (int i = 0; i < 4096; i++) sum += table[i] * (uint64_t)(i + 1);
    unsigned char r[8];
    getentropy(r, sizeof r);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("sum=%016llx\n", (unsigned long long)sum);
    printf("random=%02x%02x%02x%02x%02x%02x%02x%02x\n", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    printf("monotonic=%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
    fprintf(stderr, "done after %ld rounds\n", n);
    int fd = open("/out/result.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dprintf(fd, "%016llx\n", (unsigned long long)sum);
        close(fd);
    }
    return 0;
}
