/* The compute-bound benchmark: a sieve and an integer hash loop, the same source built
   natively and to wasm32-wasip1. Prints a checksum so neither build can skip the work. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const uint32_t n = 20000000;
    uint8_t *composite = calloc(n + 1, 1);
    uint64_t primes = 0, sum = 0;
    for (uint32_t i = 2; i <= n; i++) {
        if (composite[i]) continue;
        primes++;
        sum += i;
        for (uint64_t j = (uint64_t)i * i; j <= n; j += i) composite[j] = 1;
    }
    uint64_t h = 1469598103934665603ull;
    for (uint32_t round = 0; round < 40; round++)
        for (uint32_t i = 0; i < 1000000; i++) h = (h ^ (i + round)) * 1099511628211ull;
    printf("%llu %llu %llu\n", (unsigned long long)primes, (unsigned long long)sum, (unsigned long long)h);
    free(composite);
    return 0;
}
