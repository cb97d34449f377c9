// Tries to put more on disk than the quota allows, in the way argv[1] names:
//   big        one file written 64 KiB at a time, forever
//   many       one-byte files /out/f000000, /out/f000001, ... forever
//   dirs       empty folders, forever
//   seek       lseek 1 TiB into a new file, then write one byte
//   truncate   ftruncate a new file to 1 TiB
//   pwrite     pwrite one byte at offset 1 TiB
//   allocate   fd_allocate 1 TiB of a new file
//   hugewrite  one write of 100 MiB into a new file
//   renumber   move a file onto fd 1 (stdout), then write to fd 1 forever
//   reopen     close fd 1, open a file (which takes the free number 1), write to fd 1 forever
//   deep       a chain of folders with long names, deeper than the host's PATH_MAX, then
//              64 KiB writes into a file at the bottom, forever
// Each write error is reported on stderr and ends the guest with exit code 1; a guest the
// sandbox stops never gets that far.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static char chunk[65536];

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    return 1;
}

static int write_forever(int fd) {
    long long total = 0;
    for (;;) {
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n < 0) {
            fprintf(stderr, "after %lld bytes: ", total);
            return fail("write");
        }
        total += n;
    }
}

int main(int argc, char **argv) {
    memset(chunk, 'x', sizeof chunk);
    const char *mode = argc > 1 ? argv[1] : "big";
    const long long tib = 1LL << 40;
    if (strcmp(mode, "big") == 0) {
        int fd = open("/out/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        return write_forever(fd);
    }
    if (strcmp(mode, "many") == 0) {
        for (long i = 0;; i++) {
            char name[32];
            snprintf(name, sizeof name, "/out/f%06ld", i);
            int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0) return fail("open");
            if (write(fd, "x", 1) != 1) return fail("write");
            close(fd);
        }
    }
    if (strcmp(mode, "dirs") == 0) {
        for (long i = 0;; i++) {
            char name[32];
            snprintf(name, sizeof name, "/out/d%06ld", i);
            if (mkdir(name, 0755) != 0) return fail("mkdir");
        }
    }
    if (strcmp(mode, "seek") == 0) {
        int fd = open("/out/sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        if (lseek(fd, tib, SEEK_SET) < 0) return fail("lseek");
        if (write(fd, "x", 1) != 1) return fail("write");
        printf("made a 1 TiB sparse file\n");
        return 0;
    }
    if (strcmp(mode, "truncate") == 0) {
        int fd = open("/out/sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        if (ftruncate(fd, tib) != 0) return fail("ftruncate");
        printf("made a 1 TiB sparse file\n");
        return 0;
    }
    if (strcmp(mode, "pwrite") == 0) {
        int fd = open("/out/sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        if (pwrite(fd, "x", 1, tib) != 1) return fail("pwrite");
        printf("made a 1 TiB sparse file\n");
        return 0;
    }
    if (strcmp(mode, "allocate") == 0) {
        int fd = open("/out/sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        __wasi_errno_t err = __wasi_fd_allocate(fd, 0, tib);
        if (err != 0) {
            errno = err;
            return fail("fd_allocate");
        }
        printf("made a 1 TiB sparse file\n");
        return 0;
    }
    if (strcmp(mode, "hugewrite") == 0) {
        size_t len = 100u << 20;
        char *huge = malloc(len);
        if (!huge) return fail("malloc");
        memset(huge, 'x', len);
        int fd = open("/out/huge", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        if (write(fd, huge, len) < 0) return fail("write");
        printf("made a 100 MiB file\n");
        return 0;
    }
    if (strcmp(mode, "renumber") == 0) {
        int fd = open("/out/via_stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        __wasi_errno_t err = __wasi_fd_renumber(fd, 1);
        if (err != 0) {
            errno = err;
            return fail("fd_renumber");
        }
        return write_forever(1);
    }
    if (strcmp(mode, "reopen") == 0) {
        __wasi_errno_t err = __wasi_fd_close(1);
        if (err != 0) {
            errno = err;
            return fail("fd_close");
        }
        int fd = open("/out/via_stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("open");
        fprintf(stderr, "the file got fd %d\n", fd);
        return write_forever(fd);
    }
    if (strcmp(mode, "deep") == 0) {
        char name[241];
        memset(name, 'd', 240);
        name[240] = 0;
        int dir = open("/out", O_RDONLY | O_DIRECTORY);
        if (dir < 0) return fail("open /out");
        // 24 levels of 241 bytes: far past the host's PATH_MAX of 4096.
        for (int level = 0; level < 24; level++) {
            if (mkdirat(dir, name, 0755) != 0) return fail("mkdirat");
            int next = openat(dir, name, O_RDONLY | O_DIRECTORY);
            if (next < 0) return fail("openat");
            close(dir);
            dir = next;
        }
        int fd = openat(dir, "bottom", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return fail("openat bottom");
        return write_forever(fd);
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
