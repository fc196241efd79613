/*
 * Start to first answer, measured in C so that the figure is the server's and not the
 * probe's: starts ARGV with posix_spawn, sends an A query for NAME to 127.0.0.1:PORT every
 * 100 us until a NOERROR reply with an answer arrives, prints the milliseconds from just
 * before the spawn to that reply, then stops the server (SIGTERM) and waits for it.
 *
 *   build/bench/startprobe PORT NAME ARGV...
 *
 * STARTPROBE_ANY=1 takes any reply (for a server without DNS logic, e.g. a reflector).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A query for `name` (dotted, no final dot) with ID 0x5a5a; returns its length or 0. */
static size_t build_query(const char *name, uint8_t *buf, size_t cap)
{
    static const uint8_t hdr[12] = {0x5a, 0x5a, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t pos = sizeof(hdr);
    memcpy(buf, hdr, sizeof(hdr));
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n > 63 || pos + n + 1 + 5 > cap)
            return 0;
        buf[pos++] = (uint8_t)n;
        memcpy(buf + pos, p, n);
        pos += n;
        p += n + (dot ? 1 : 0);
    }
    buf[pos++] = 0;
    buf[pos++] = 0, buf[pos++] = 1; /* A */
    buf[pos++] = 0, buf[pos++] = 1; /* IN */
    return pos;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: startprobe PORT NAME ARGV...\n");
        return 2;
    }
    /* STARTPROBE_ANY=1: any reply to the query counts (a server with no DNS logic) */
    const char *any_env = getenv("STARTPROBE_ANY");
    int any = any_env && *any_env == '1';
    uint8_t q[300], r[4096];
    size_t qlen = build_query(argv[2], q, sizeof(q));
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!qlen || fd < 0) {
        fprintf(stderr, "startprobe: bad name or no socket\n");
        return 2;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    double t0 = now_ms();
    pid_t pid;
    if (posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ) != 0) {
        perror("startprobe: spawn");
        return 2;
    }
    double took = -1;
    while (now_ms() - t0 < 10000) {
        sendto(fd, q, qlen, 0, (struct sockaddr *)&to, sizeof(to));
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) == 0) {
            struct timespec d = {0, 100000};
            nanosleep(&d, NULL);
        }
        for (;;) { /* -1: nothing more (EAGAIN), or ICMP unreachable before the bind */
            ssize_t n = recv(fd, r, sizeof(r), 0);
            if (n < 0)
                break;
            if (n >= 12 && r[0] == 0x5a && r[1] == 0x5a &&
                (any || ((r[3] & 0xf) == 0 && r[7] > 0))) {
                took = now_ms() - t0;
                break;
            }
        }
        if (took >= 0)
            break;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (took < 0) {
        fprintf(stderr, "startprobe: no answer within 10 s\n");
        return 1;
    }
    printf("%.3f\n", took);
    return 0;
}
