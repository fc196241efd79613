#pragma once
/*
 * UDP transport: worker threads that each receive a batch of datagrams with recvmmsg,
 * answer them with query_process under one snapshot read section, and send the batch back
 * with sendmmsg. Replies leave from the address the query was sent to (IP_PKTINFO /
 * IPV6_PKTINFO), which matters when bound to a wildcard address on a multi-homed host.
 * Each worker has its own buffers, arena and stats block (stats/stats.h): no allocation, no
 * lock and no shared atomic read-modify-write per packet. Answers the forwarder gives later
 * are counted in one more block, written only by the control thread.
 *
 * net_udp_start/stop are called by the control thread only.
 */

#include "net/hooks.h"
#include "zone/snap.h"

struct net_udp;

#define NET_UDP_MAX_WORKERS 256

/* Starts one thread per bound socket fds[0..nworkers-1] (not owned; SO_REUSEPORT siblings
 * or a single socket). `hooks` (copied; may be NULL) answer names outside our data for
 * clients that may use forwarding. */
int net_udp_start(const int *fds, int nworkers, struct snap_slot *slot, const struct net_hooks *hooks,
                  struct net_udp **out);
/* Stops and joins the workers. */
void net_udp_stop(struct net_udp *u);
