// Calls that are invalid before they are anything else, and the poll and clock cases stock
// wasmtime-wasi answers in its own way. Prints `name=errno` (and a little more for polls),
// one a line, so that its output in the sandbox can be compared with stock wasmtime-wasi's.
// Expects /data (read-only, holding a.txt) and /out (writable). Touches nothing on disk.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define TIB (1ULL << 40)
#define BIG (100u << 20)

static void report(const char *name, __wasi_errno_t err) { printf("%s=%d\n", name, err); }

static __wasi_errno_t write_big(int fd, char *buf) {
    __wasi_ciovec_t iov = {.buf = (const uint8_t *)buf, .buf_len = BIG};
    __wasi_size_t written = 0;
    return __wasi_fd_write(fd, &iov, 1, &written);
}

static __wasi_errno_t pwrite_far(int fd) {
    __wasi_ciovec_t iov = {.buf = (const uint8_t *)"x", .buf_len = 1};
    __wasi_size_t written = 0;
    return __wasi_fd_pwrite(fd, &iov, 1, TIB, &written);
}

static void poll_one(const char *name, int fd, __wasi_eventtype_t type) {
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = 7;
    sub.u.tag = type;
    if (type == __WASI_EVENTTYPE_FD_READ)
        sub.u.u.fd_read.file_descriptor = fd;
    else
        sub.u.u.fd_write.file_descriptor = fd;
    __wasi_event_t event;
    memset(&event, 0xEE, sizeof event);
    __wasi_size_t n = 99;
    __wasi_errno_t err = __wasi_poll_oneoff(&sub, &event, 1, &n);
    if (err != 0) {
        printf("%s=%d nevents_untouched=%d\n", name, err, n == 99);
    } else {
        printf("%s=0 nevents=%u userdata=%llu error=%u type=%u nbytes=%llu flags=%u\n", name,
               n, (unsigned long long)event.userdata, event.error, event.type,
               (unsigned long long)event.fd_readwrite.nbytes, event.fd_readwrite.flags);
    }
}

static void poll_clocks(const char *name, __wasi_clockid_t id, int count) {
    __wasi_subscription_t subs[2];
    memset(subs, 0, sizeof subs);
    for (int i = 0; i < count; i++) {
        subs[i].userdata = 10 + i;
        subs[i].u.tag = __WASI_EVENTTYPE_CLOCK;
        subs[i].u.u.clock.id = id;
        subs[i].u.u.clock.timeout = 1;
    }
    __wasi_event_t events[2];
    memset(events, 0, sizeof events);
    __wasi_size_t n = 99;
    __wasi_errno_t err = __wasi_poll_oneoff(subs, events, count, &n);
    if (err != 0) {
        printf("%s=%d\n", name, err);
    } else {
        printf("%s=0 nevents=%u userdata=%llu type=%u nbytes=%llu\n", name, n,
               (unsigned long long)events[0].userdata, events[0].type,
               (unsigned long long)events[0].fd_readwrite.nbytes);
    }
}

int main(void) {
    char *buf = malloc(BIG);
    if (!buf) {
        printf("malloc failed\n");
        return 1;
    }
    memset(buf, 'x', BIG);
    __wasi_timestamp_t t = 0;

    // A descriptor that was never opened.
    report("write_closed", write_big(99, buf));
    report("pwrite_closed", pwrite_far(99));
    report("allocate_closed", __wasi_fd_allocate(99, 0, TIB));
    report("set_size_closed", __wasi_fd_filestat_set_size(99, TIB));

    // A folder.
    int dir = open("/out", O_RDONLY | O_DIRECTORY);
    if (dir < 0) {
        printf("cannot open /out\n");
        return 1;
    }
    report("write_dir", write_big(dir, buf));
    report("pwrite_dir", pwrite_far(dir));
    report("allocate_dir", __wasi_fd_allocate(dir, 0, TIB));
    report("set_size_dir", __wasi_fd_filestat_set_size(dir, TIB));

    // A file open only for reading, seeked far.
    int ro = open("/data/a.txt", O_RDONLY);
    if (ro < 0) {
        printf("cannot open /data/a.txt\n");
        return 1;
    }
    report("pwrite_readonly", pwrite_far(ro));
    report("allocate_readonly", __wasi_fd_allocate(ro, 0, TIB));
    report("set_size_readonly", __wasi_fd_filestat_set_size(ro, TIB));
    __wasi_filesize_t pos = 0;
    report("seek_readonly", __wasi_fd_seek(ro, TIB, __WASI_WHENCE_SET, &pos));
    report("write_readonly", write_big(ro, buf));

    // poll_oneoff on descriptors.
    poll_one("poll_read_closed", 99, __WASI_EVENTTYPE_FD_READ);
    poll_one("poll_write_closed", 99, __WASI_EVENTTYPE_FD_WRITE);
    poll_one("poll_read_stdout", 1, __WASI_EVENTTYPE_FD_READ);
    poll_one("poll_write_stdin", 0, __WASI_EVENTTYPE_FD_WRITE);
    poll_one("poll_read_dir", dir, __WASI_EVENTTYPE_FD_READ);
    poll_one("poll_write_readonly", ro, __WASI_EVENTTYPE_FD_WRITE);
    poll_one("poll_write_stdout", 1, __WASI_EVENTTYPE_FD_WRITE);
    poll_one("poll_read_file_at_end", ro, __WASI_EVENTTYPE_FD_READ);
    report("seek_back", __wasi_fd_seek(ro, 0, __WASI_WHENCE_SET, &pos));
    poll_one("poll_read_file", ro, __WASI_EVENTTYPE_FD_READ);

    // Clocks, with the process and thread clocks stock wasmtime-wasi does not have. (An id
    // past the last is a trap in stock wasmtime-wasi, not an errno.)
    for (__wasi_clockid_t id = 0; id <= 3; id++) {
        char name[32];
        snprintf(name, sizeof name, "clock_res_get_%u", id);
        report(name, __wasi_clock_res_get(id, &t));
        snprintf(name, sizeof name, "clock_time_get_%u", id);
        report(name, __wasi_clock_time_get(id, 1, &t));
        snprintf(name, sizeof name, "poll_clock_%u_alone", id);
        poll_clocks(name, id, 1);
        snprintf(name, sizeof name, "poll_clock_%u_pair", id);
        poll_clocks(name, id, 2);
    }
    return 0;
}
