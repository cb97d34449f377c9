// Leaves symlinks in /out that point outside it (to /, to /etc/passwd, to the folder above,
// to itself) and tries to follow them. Prints one line per attempt:
//   symlink NAME -> TARGET: MADE | FAIL errno-name
//   follow PATH: FAIL errno-name | OPEN first-bytes
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void make(const char *target, const char *name) {
    if (symlink(target, name) == 0) {
        printf("symlink %s -> %s: MADE\n", name, target);
    } else {
        printf("symlink %s -> %s: FAIL %s\n", name, target, strerror(errno));
    }
}

static void follow(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("follow %s: FAIL %s\n", path, strerror(errno));
        return;
    }
    char buf[65];
    ssize_t n = read(fd, buf, 64);
    if (n < 0) n = 0;
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = ' ';
    printf("follow %s: OPEN %s\n", path, buf);
    close(fd);
}

int main(void) {
    make("/", "/out/root");
    make("/etc/passwd", "/out/passwd_abs");
    make("../../../../../../../../../../../../etc/passwd", "/out/passwd");
    make("../secret.txt", "/out/up");
    make("..", "/out/parent");
    make(".", "/out/self");
    make("/data", "/out/data_abs");
    make("../data", "/out/data_rel");
    follow("/out/root/etc/passwd");
    follow("/out/passwd_abs");
    follow("/out/passwd");
    follow("/out/up");
    follow("/out/parent/secret.txt");
    follow("/out/self/self/self/up");
    follow("/out/data_rel/inside.txt");
    // Writing through a link must not land outside either.
    int fd = open("/out/parent/escaped.txt", O_WRONLY | O_CREAT, 0644);
    printf("create /out/parent/escaped.txt: %s\n", fd < 0 ? strerror(errno) : "MADE");
    fd = open("/out/up", O_WRONLY | O_TRUNC);
    printf("truncate /out/up: %s\n", fd < 0 ? strerror(errno) : "MADE");
    // A plain file, so the listing holds something to hash.
    fd = open("/out/plain.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "plain\n", 6);
    close(fd);
    return 0;
}
