// Tries every way of changing a read-only mount (/data). Prints `OP: FAIL errno-name` or
// `OP: DONE` per attempt.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void report(const char *what, int failed) {
    if (failed) {
        printf("%s: FAIL %s\n", what, strerror(errno));
    } else {
        printf("%s: DONE\n", what);
    }
}

static void try_open(const char *what, const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd >= 0) {
        // Opening alone is not a change; writing is.
        ssize_t n = write(fd, "changed", 7);
        close(fd);
        report(what, n < 0);
        return;
    }
    report(what, 1);
}

int main(void) {
    // A file of the guest's own, to try moving into the mount.
    int mine = open("/out/mine.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (mine < 0 || write(mine, "mine\n", 5) != 5) return 1;
    close(mine);
    try_open("open-wronly", "/data/a.txt", O_WRONLY);
    try_open("open-rdwr", "/data/a.txt", O_RDWR);
    try_open("open-append", "/data/a.txt", O_WRONLY | O_APPEND);
    try_open("open-trunc", "/data/a.txt", O_WRONLY | O_TRUNC);
    try_open("open-rdonly-trunc", "/data/a.txt", O_RDONLY | O_TRUNC);
    try_open("create", "/data/new.txt", O_WRONLY | O_CREAT);
    try_open("create-in-sub", "/data/sub/new.txt", O_WRONLY | O_CREAT);
    report("mkdir", mkdir("/data/newdir", 0755) != 0);
    report("unlink", unlink("/data/a.txt") != 0);
    report("unlink-in-sub", unlink("/data/sub/b.txt") != 0);
    report("rmdir", rmdir("/data/empty") != 0);
    report("rename-within", rename("/data/a.txt", "/data/renamed.txt") != 0);
    report("rename-out", rename("/data/a.txt", "/out/stolen.txt") != 0);
    report("rename-in", rename("/out/mine.txt", "/data/planted.txt") != 0);
    report("truncate", truncate("/data/a.txt", 0) != 0);
    report("symlink", symlink("a.txt", "/data/link") != 0);
    report("link", link("/data/a.txt", "/data/hardlink") != 0);
    struct timeval times[2] = {{1, 0}, {1, 0}};
    report("utimes", utimes("/data/a.txt", times) != 0);
    int fd = open("/data/a.txt", O_RDONLY);
    report("ftruncate-readonly-fd", fd < 0 || ftruncate(fd, 0) != 0);
    report("write-readonly-fd", fd < 0 || write(fd, "x", 1) != 1);
    report("pwrite-readonly-fd", fd < 0 || pwrite(fd, "x", 1, 0) != 1);
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    report("futimens-readonly-fd", fd < 0 || futimens(fd, ts) != 0);
    int dirfd = open("/data", O_RDONLY | O_DIRECTORY);
    report("openat-create", dirfd < 0 || openat(dirfd, "x.txt", O_WRONLY | O_CREAT, 0644) < 0);
    report("mkdirat", dirfd < 0 || mkdirat(dirfd, "d", 0755) != 0);
    return 0;
}
