#pragma once
/*
 * Socket addresses for the transports: resolving a listen address, binding the DNS
 * sockets, printing an address for logs, adopting sockets a service manager passed
 * (systemd socket activation). Control plane helpers; any thread.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/socket.h>

/* "127.0.0.1", "[::1]"-less "::1", for logs: host part only. */
void net_addr_host(const struct sockaddr *sa, char *out, size_t cap);
uint16_t net_addr_port(const struct sockaddr *sa);

/* Resolves host (IP literal or name) + port into a passive address. Returns 0 or -errno /
 * ERR_NOTFOUND; *why gets a message for failures of the resolver. */
int net_addr_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *sslen,
                     const char **why);

/* Creates and binds a socket (SOCK_DGRAM or SOCK_STREAM, listening for the latter) with
 * SO_REUSEADDR, dual-stack for "::". A passed socket reserved for exactly this address and
 * type (net_addr_reserve) is returned instead. Returns the fd or -errno. */
int net_addr_bind(const struct sockaddr *sa, socklen_t salen, int socktype, int backlog);

/* Binds `n` UDP sockets to the same address with SO_REUSEPORT (the kernel spreads clients
 * over them by address hash), into fds[0..n-1]. The address must be free: it is first bound
 * once without SO_REUSEPORT, so a port held by any other socket (even another nanodns) is
 * EADDRINUSE, not a silent share. Port 0 picks a free port for all. With `steer_cpus` k > 0
 * a datagram goes to socket (receiving CPU mod k), k <= n, instead of the address hash (a
 * classic BPF program on the group, SO_ATTACH_REUSEPORT_CBPF): right when workers share
 * cores, since then hashing splits the traffic between threads that take turns on a core,
 * each waking for part of it (k = the CPUs the process may run on: the other sockets stay
 * idle); and with NIC RSS it keeps a datagram on the CPU it arrived on (k = n). With a single
 * receive queue it would hand everything to one worker. Returns 0 or -errno. */
int net_addr_bind_udp_group(const struct sockaddr *sa, socklen_t salen, int n, int steer_cpus,
                            int *fds);

/* Brings a passed socket of `socktype` into the state net_addr_bind leaves its own sockets
 * in: close-on-exec, blocking (the UDP workers block in recvmmsg; libuv and libmicrohttpd
 * make theirs non-blocking themselves), and a stream socket listening (with the backlog the
 * service manager chose, when it listens already). Returns 0 or -errno. */
int net_addr_adopt(int fd, int socktype);

/* Hands an adopted socket to the listener that will be bound on exactly `sa` (address and
 * port) with `socktype`: net_addr_bind then returns `fd` instead of binding a new socket.
 * For listeners bound inside other modules (the HTTP servers), which need not know where
 * their socket came from. Returns 0, or -ENOSPC when 4 are waiting already. */
int net_addr_reserve(const struct sockaddr *sa, socklen_t salen, int socktype, int fd);
/* Closes the reserved sockets that no net_addr_bind took. */
void net_addr_reserve_clear(void);
