#pragma once
/*
 * The systemd service protocol: readiness, reload and stop notifications (sd_notify, for
 * Type=notify), the watchdog keep-alive (WatchdogSec=) and socket activation (sockets passed
 * in LISTEN_FDS, named by FileDescriptorName=). libsystemd is loaded with dlopen (util/dl.h)
 * only when the environment holds NOTIFY_SOCKET, WATCHDOG_USEC or LISTEN_FDS: a server
 * started by hand maps nothing more, and the release binary keeps libc as its only shared
 * library at exec. Without libsystemd every notification does nothing.
 *
 * Passed sockets are taken by name: "dns" (a datagram socket per UDP address, at most one
 * stream socket for DNS over TCP), "mgmt" (the management API) and "update" (the dynamic
 * update listener). Sockets passed without any names (LISTEN_FDNAMES unset, as an old
 * systemd or a launcher without --fdname passes them) count as "dns". Others are closed with
 * a warning. The sockets handed out belong to the caller.
 *
 * Threads: systemd_init and systemd_listen at start-up, before any other thread runs (they
 * read and unset the environment). The notifications from any thread (sd_notify opens a
 * socket of its own per call). The watchdog timer lives on the control loop: ctl_init starts
 * it, ctl_close closes it.
 */

#include <stdbool.h>
#include <uv.h>

#include "net/udp.h"

struct systemd_sockets {
    int udp[NET_UDP_MAX_WORKERS]; /* "dns", datagram */
    int nudp;
    int tcp;    /* "dns", stream; -1: none */
    int mgmt;   /* -1: none */
    int update; /* -1: none */
};

/* Loads libsystemd when the environment asks for it. Returns 0, or -1 (logged) when sockets
 * were passed to this process and libsystemd cannot be loaded: they could not be told
 * apart, so starting without them would serve nothing. Any other failure to load is a
 * warning: the server runs, unsupervised. */
int systemd_init(void);

/* Takes the passed sockets into *out (every field -1 or 0 when none were passed) and makes
 * them ready for use (net_addr_adopt). Returns 0, or -1 (logged) when a socket has a known
 * name but the wrong type, or there are more than one stream socket for DNS. */
int systemd_listen(struct systemd_sockets *out);

/* true when any socket was passed for DNS: then the configured address is not bound. */
bool systemd_sockets_dns(const struct systemd_sockets *s);

/* READY=1 with a STATUS= line (printf-style): at start once serving, and after a reload. */
void systemd_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC= (which systemd 253 and later require). */
void systemd_reloading(void);
/* STOPPING=1: shutdown has begun. */
void systemd_stopping(void);

/* Starts WATCHDOG=1 keep-alives on `loop` every half WATCHDOG_USEC, when systemd asks for
 * them; a control loop that hangs stops them, and systemd restarts the service. */
void systemd_watchdog_start(uv_loop_t *loop);
void systemd_watchdog_close(void);
