// Tries to read and create files outside its mounts (/data read-only, /out writable) with
// `..`, absolute paths and odd spellings. Prints one line per attempt:
//   read PATH: FAIL errno-name   or   read PATH: OPEN first-bytes
//   create PATH: FAIL ...        or   create PATH: MADE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_read(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("read %s: FAIL %s\n", path, strerror(errno));
        return;
    }
    char buf[65];
    ssize_t n = read(fd, buf, 64);
    if (n < 0) n = 0;
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = ' ';
    printf("read %s: OPEN %s\n", path, buf);
    close(fd);
}

static void try_list(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) {
        printf("list %s: FAIL %s\n", path, strerror(errno));
        return;
    }
    printf("list %s: OPEN", path);
    struct dirent *e;
    while ((e = readdir(dir))) printf(" %s", e->d_name);
    printf("\n");
    closedir(dir);
}

static void try_create(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("create %s: FAIL %s\n", path, strerror(errno));
        return;
    }
    write(fd, "escaped\n", 8);
    close(fd);
    printf("create %s: MADE\n", path);
}

int main(void) {
    const char *reads[] = {
        "/etc/passwd",
        "//etc/passwd",
        "../etc/passwd",
        "../../../../../../etc/passwd",
        "etc/passwd",
        "secret.txt",
        "../secret.txt",
        "/secret.txt",
        "/data/../secret.txt",
        "/data/./../secret.txt",
        "/data/sub/../../secret.txt",
        "/data/../../../../../../../etc/passwd",
        "/data/../out/../secret.txt",
        "/out/../secret.txt",
        "/out/../../../../../../etc/passwd",
        "/out/./../secret.txt",
        "/proc/self/environ",
        "/dev/zero",
        "/data/inside.txt",
    };
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) try_read(reads[i]);
    const char *lists[] = {"/", "..", "/data/..", "/out/..", "/data"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) try_list(lists[i]);
    const char *creates[] = {
        "/escaped.txt",
        "../escaped.txt",
        "/out/../escaped.txt",
        "/out/../../escaped.txt",
        "/data/../escaped.txt",
        "/tmp/escaped.txt",
    };
    for (size_t i = 0; i < sizeof creates / sizeof *creates; i++) try_create(creates[i]);
    return 0;
}
