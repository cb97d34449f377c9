// Tries to hard-link a file of the read-only mount into /out (which would let a later
// writer change the mount through /out), and a file of /out to another name.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_link(const char *from, const char *to) {
    if (link(from, to) == 0) {
        printf("link %s %s: DONE\n", from, to);
    } else {
        printf("link %s %s: FAIL %s\n", from, to, strerror(errno));
    }
}

int main(void) {
    int fd = open("/out/own.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "own\n", 4);
    close(fd);
    try_link("/data/a.txt", "/out/a.txt");
    try_link("/out/own.txt", "/out/own2.txt");
    try_link("/data/a.txt", "/data/a2.txt");
    // If a link had been made, writing through it would change the mount's file.
    fd = open("/out/a.txt", O_WRONLY | O_TRUNC);
    if (fd >= 0) {
        write(fd, "changed\n", 8);
        close(fd);
        printf("wrote through /out/a.txt\n");
    }
    return 0;
}
