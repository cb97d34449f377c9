// Prints everything through which the host could leak nondeterminism into a run, as
// `key=value` lines: clocks, randomness, environment, directory order, file metadata and
// NaN bit patterns. Run twice with the same inputs, the output must be identical.
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static uint64_t f64_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static float f32_from(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double f64_from(uint64_t u) {
    double d;
    memcpy(&d, &u, 8);
    return d;
}

// Volatile so that clang cannot fold the arithmetic at compile time: the NaNs must come
// out of the engine's float instructions.
static volatile float fzero = 0.0f, fone = 1.0f, fminus = -1.0f;
static volatile double dzero = 0.0, done = 1.0, dminus = -1.0;
static volatile uint32_t payload32 = 0x7fa00001u, negpayload32 = 0xffc12345u;
static volatile uint64_t payload64 = 0x7ff4000000000001ull;

int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++) printf("env=%s\n", *e);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    printf("realtime=%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("monotonic=%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("monotonic_again=%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
    clock_getres(CLOCK_MONOTONIC, &ts);
    printf("monotonic_res=%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
    printf("time=%lld\n", (long long)time(NULL));

    unsigned char entropy[16];
    if (getentropy(entropy, sizeof entropy) != 0) return 10;
    printf("entropy=");
    for (size_t i = 0; i < sizeof entropy; i++) printf("%02x", entropy[i]);
    printf("\n");
    printf("arc4random=%08" PRIx32 "\n", arc4random());

    // Directory order of a mounted folder whose files the host created in random order.
    DIR *dir = opendir("/data/many");
    if (dir) {
        printf("listing=");
        struct dirent *e;
        while ((e = readdir(dir))) printf("%s,", e->d_name);
        printf("\n");
        closedir(dir);
    } else {
        printf("listing=none\n");
    }

    struct stat st;
    if (stat("/data/a.txt", &st) == 0) {
        printf("stat_ino=%llu\n", (unsigned long long)st.st_ino);
        printf("stat_dev=%llu\n", (unsigned long long)st.st_dev);
        printf("stat_nlink=%llu\n", (unsigned long long)st.st_nlink);
        printf("stat_size=%lld\n", (long long)st.st_size);
        printf("stat_mtime=%lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        printf("stat_atime=%lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
        printf("stat_ctime=%lld.%09ld\n", (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    } else {
        printf("stat=none\n");
    }
    if (stat("/data", &st) == 0) {
        printf("dir_ino=%llu\n", (unsigned long long)st.st_ino);
        printf("dir_size=%lld\n", (long long)st.st_size);
    }

    // NaNs made by arithmetic: the engine canonicalises them, so their bits are fixed.
    printf("nan_f32_div=%08" PRIx32 "\n", f32_bits(fzero / fzero));
    printf("nan_f32_sqrt=%08" PRIx32 "\n", f32_bits(sqrtf(fminus)));
    printf("nan_f32_inf_sub=%08" PRIx32 "\n", f32_bits(fone / fzero - fone / fzero));
    printf("nan_f32_payload_add=%08" PRIx32 "\n", f32_bits(f32_from(payload32) + fone));
    printf("nan_f32_negpayload_mul=%08" PRIx32 "\n", f32_bits(f32_from(negpayload32) * fone));
    printf("nan_f32_fmax=%08" PRIx32 "\n", f32_bits(fmaxf(f32_from(payload32), f32_from(negpayload32))));
    printf("nan_f32_fmin=%08" PRIx32 "\n", f32_bits(fminf(f32_from(negpayload32), f32_from(payload32))));
    printf("nan_f64_div=%016" PRIx64 "\n", f64_bits(dzero / dzero));
    printf("nan_f64_sqrt=%016" PRIx64 "\n", f64_bits(sqrt(dminus)));
    printf("nan_f64_payload_add=%016" PRIx64 "\n", f64_bits(f64_from(payload64) + done));
    printf("nan_f64_log=%016" PRIx64 "\n", f64_bits(log(dminus)));
    printf("nan_f64_promote=%016" PRIx64 "\n", f64_bits((double)f32_from(payload32)));

    // Heap addresses depend only on what the program did.
    void *p = malloc(1000);
    printf("malloc=%p\n", p);
    free(p);
    char cwd[256];
    printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "none");
    return 0;
}
