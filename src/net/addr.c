#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"

void net_addr_host(const struct sockaddr *sa, char *out, size_t cap)
{
    const void *a = NULL;
    if (sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)cap))
        snprintf(out, cap, "?");
}

uint16_t net_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

int net_addr_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *sslen,
                     const char **why)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_DGRAM};
    struct addrinfo *res = NULL;
    char pbuf[8];
    snprintf(pbuf, sizeof(pbuf), "%u", port);
    int r = getaddrinfo(host, pbuf, &hints, &res);
    if (r) {
        *why = gai_strerror(r);
        return ERR_NOTFOUND;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Sockets passed by a service manager, waiting for their listener (net_addr_reserve). */
#define NET_ADDR_RESERVED 4
static struct {
    struct sockaddr_storage ss;
    int type;
    int fd; /* -1: free slot */
} net_addr_reserved[NET_ADDR_RESERVED] = {{.fd = -1}, {.fd = -1}, {.fd = -1}, {.fd = -1}};
static pthread_mutex_t net_addr_lock = PTHREAD_MUTEX_INITIALIZER;

static bool net_addr_same(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
               !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
    }
    return false;
}

/* The reserved socket for (sa, socktype), taken out of the table, or -1. */
static int net_addr_take_reserved(const struct sockaddr *sa, int socktype)
{
    int fd = -1;
    pthread_mutex_lock(&net_addr_lock);
    for (int i = 0; i < NET_ADDR_RESERVED && fd < 0; i++) {
        if (net_addr_reserved[i].fd >= 0 && net_addr_reserved[i].type == socktype &&
            net_addr_same((struct sockaddr *)&net_addr_reserved[i].ss, sa)) {
            fd = net_addr_reserved[i].fd;
            net_addr_reserved[i].fd = -1;
        }
    }
    pthread_mutex_unlock(&net_addr_lock);
    return fd;
}

int net_addr_reserve(const struct sockaddr *sa, socklen_t salen, int socktype, int fd)
{
    int r = -ENOSPC;
    if (salen > sizeof(struct sockaddr_storage))
        return -EINVAL;
    pthread_mutex_lock(&net_addr_lock);
    for (int i = 0; i < NET_ADDR_RESERVED && r; i++) {
        if (net_addr_reserved[i].fd < 0) {
            memcpy(&net_addr_reserved[i].ss, sa, salen);
            net_addr_reserved[i].type = socktype;
            net_addr_reserved[i].fd = fd;
            r = 0;
        }
    }
    pthread_mutex_unlock(&net_addr_lock);
    return r;
}

void net_addr_reserve_clear(void)
{
    pthread_mutex_lock(&net_addr_lock);
    for (int i = 0; i < NET_ADDR_RESERVED; i++) {
        if (net_addr_reserved[i].fd >= 0)
            close(net_addr_reserved[i].fd);
        net_addr_reserved[i].fd = -1;
    }
    pthread_mutex_unlock(&net_addr_lock);
}

int net_addr_adopt(int fd, int socktype)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    if (socktype != SOCK_STREAM)
        return 0;
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
        return -errno;
    if (!listening && listen(fd, SOMAXCONN) < 0)
        return -errno;
    return 0;
}

static int net_addr_bind_opt(const struct sockaddr *sa, socklen_t salen, int socktype, int backlog,
                             bool reuseport)
{
    int fd = socket(sa->sa_family, socktype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (sa->sa_family == AF_INET6) {
        /* "::" serves IPv4 too, as NanoDNS users expect from a wildcard address. */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    if (bind(fd, sa, salen) < 0 || (socktype == SOCK_STREAM && listen(fd, backlog) < 0)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int net_addr_bind(const struct sockaddr *sa, socklen_t salen, int socktype, int backlog)
{
    int fd = net_addr_take_reserved(sa, socktype);
    if (fd >= 0)
        return fd;
    return net_addr_bind_opt(sa, salen, socktype, backlog, false);
}

int net_addr_bind_udp_group(const struct sockaddr *sa, socklen_t salen, int n, int steer_cpus,
                            int *fds)
{
    /* The probe: fails when anything holds the address; gives the port when it is 0. */
    int probe = net_addr_bind_opt(sa, salen, SOCK_DGRAM, 0, false);
    if (probe < 0)
        return probe;
    if (n == 1) {
        fds[0] = probe;
        return 0;
    }
    struct sockaddr_storage bound;
    socklen_t bl = sizeof(bound);
    if (getsockname(probe, (struct sockaddr *)&bound, &bl) < 0) {
        int e = errno;
        close(probe);
        return -e;
    }
    close(probe);
    for (int i = 0; i < n; i++) {
        fds[i] = net_addr_bind_opt((struct sockaddr *)&bound, bl, SOCK_DGRAM, 0, true);
        if (fds[i] < 0) {
            int e = fds[i];
            while (i-- > 0)
                close(fds[i]);
            return e;
        }
    }
    if (steer_cpus <= 0)
        return 0;
    if (steer_cpus > n)
        steer_cpus = n;
    /* Steer by the CPU that receives the datagram (socket = CPU mod k) instead of the
     * address hash. Without the program the kernel hashes (still correct). */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU)),
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)steer_cpus),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    if (setsockopt(fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0)
        log_debug("nanodns.server", "UDP: no CPU steering (%s); the kernel hashes",
                  strerror(errno));
    return 0;
}
