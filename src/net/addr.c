#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

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

int net_addr_bind(const struct sockaddr *sa, socklen_t salen, int socktype, int backlog)
{
    int fd = socket(sa->sa_family, socktype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
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
