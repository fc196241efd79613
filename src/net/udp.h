#pragma once
/*
 * UDP transport: worker threads that each receive a batch of datagrams with recvmmsg,
 * answer them with query_process under one snapshot read section, and send the batch back
 * with sendmmsg. Replies leave from the address the query was sent to (IP_PKTINFO /
 * IPV6_PKTINFO), which matters when bound to a wildcard address on a multi-homed host.
 * Each worker has its own buffers and arena: no allocation and no lock per packet.
 *
 * net_udp_start/stop are called by the control thread only.
 */

#include "zone/snap.h"

struct net_udp;

/* Starts `nworkers` threads serving the bound socket `fd` (not owned). */
int net_udp_start(int fd, int nworkers, struct snap_slot *slot, struct net_udp **out);
/* Stops and joins the workers. */
void net_udp_stop(struct net_udp *u);
