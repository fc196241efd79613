/*
 * systemd integration (server/systemd.h). The design choices:
 *
 * - libsystemd is the reference implementation of the protocol, but linking it would add
 *   it and its compression and crypto libraries to every process at exec. It is loaded only
 *   when one of the variables systemd sets is there. A server run by systemd without
 *   libsystemd0 installed still runs; only socket activation cannot do without it.
 * - READY=1 is sent once every socket is bound, the privileges are dropped and the workers
 *   run: from then on systemd starts the units ordered after nanodns, and their queries are
 *   answered (a TCP connection waits in the listen backlog until the loop runs).
 * - RELOADING=1 / READY=1 frame a reload that `systemctl reload` (ExecReload, SIGHUP) asked
 *   for, and only that one: file-watch reloads, API edits and dynamic updates are not
 *   systemd reloads, and announcing each would flood the journal.
 * - The watchdog is fed from a timer on the control loop, the thread that applies every
 *   change: if it hangs, the keep-alives stop and systemd restarts the service.
 */
#include "server/systemd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "net/addr.h"
#include "util/dl.h"
#include "util/log.h"

#define SYSTEMD_LOG "nanodns.server"

static struct {
    __typeof__(sd_notify) *notify;
    __typeof__(sd_listen_fds_with_names) *listen_fds_with_names;
    __typeof__(sd_is_socket_inet) *is_socket_inet;
    __typeof__(sd_watchdog_enabled) *watchdog_enabled;
} sd;

static const struct dl_sym sd_syms[] = {
    {"sd_notify", (void **)&sd.notify},
    {"sd_listen_fds_with_names", (void **)&sd.listen_fds_with_names},
    {"sd_is_socket_inet", (void **)&sd.is_socket_inet},
    {"sd_watchdog_enabled", (void **)&sd.watchdog_enabled},
};

static struct dl_lib sd_lib = {
    .soname = "libsystemd.so.0",
    .package = "libsystemd0",
    .syms = sd_syms,
    .nsyms = sizeof(sd_syms) / sizeof(sd_syms[0]),
};

static bool sd_loaded;
static uv_timer_t sd_watchdog;
static bool sd_watchdog_on;

/* LISTEN_FDS is meant for this process only when LISTEN_PID names it; a variable inherited
 * from a parent that was itself socket-activated is not ours. */
static bool systemd_fds_for_us(void)
{
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    return fds && pid && strtol(pid, NULL, 10) == (long)getpid();
}

int systemd_init(void)
{
    if (!getenv("NOTIFY_SOCKET") && !getenv("WATCHDOG_USEC") && !getenv("LISTEN_FDS"))
        return 0;
    if (dl_load(&sd_lib) == 0) {
        sd_loaded = true;
        return 0;
    }
    if (systemd_fds_for_us()) {
        log_error(SYSTEMD_LOG, "Sockets were passed (LISTEN_FDS) but %s; cannot take them",
                  sd_lib.error);
        return -1;
    }
    log_warning(SYSTEMD_LOG, "Running without systemd notifications and watchdog: %s",
                sd_lib.error);
    return 0;
}

bool systemd_sockets_dns(const struct systemd_sockets *s)
{
    return s->nudp > 0 || s->tcp >= 0;
}

static void systemd_describe(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[64];
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        snprintf(out, cap, "?");
        return;
    }
    net_addr_host((struct sockaddr *)&ss, host, sizeof(host));
    snprintf(out, cap, "%s:%u", host, net_addr_port((struct sockaddr *)&ss));
}

/* Files one passed socket under its role. Returns 0, 1 when it was not taken (closed), or -1
 * (logged) when its name promises a role its type cannot play. */
static int systemd_take(struct systemd_sockets *out, int fd, const char *name)
{
    bool dns = !strcmp(name, "dns") || !strcmp(name, "unknown");
    bool mgmt = !strcmp(name, "mgmt"), update = !strcmp(name, "update");
    if (!dns && !mgmt && !update) {
        log_warning(SYSTEMD_LOG,
                    "Closing the passed socket named \"%s\": nanodns takes sockets named dns, "
                    "mgmt and update (FileDescriptorName=)",
                    name);
        close(fd);
        return 1;
    }
    /* Only IP sockets: the transports, their logs and the ACLs speak of addresses. */
    bool dgram = sd.is_socket_inet(fd, AF_UNSPEC, SOCK_DGRAM, -1, 0) > 0;
    bool stream = sd.is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0;
    int *slot = NULL;
    if (dns && dgram) {
        if (out->nudp == NET_UDP_MAX_WORKERS) {
            log_error(SYSTEMD_LOG, "More than %d datagram sockets were passed for DNS",
                      NET_UDP_MAX_WORKERS);
            return -1;
        }
        slot = &out->udp[out->nudp++];
    } else if (stream) {
        slot = dns ? &out->tcp : mgmt ? &out->mgmt : &out->update;
        if (*slot >= 0) {
            log_error(SYSTEMD_LOG,
                      "More than one stream socket was passed for %s; nanodns "
                      "serves one",
                      name);
            return -1;
        }
    } else {
        log_error(SYSTEMD_LOG,
                  "The passed socket named \"%s\" is not a %s IPv4 or IPv6 socket (Accept=no)",
                  name, dns ? "datagram or listening stream" : "listening stream");
        return -1;
    }
    int r = net_addr_adopt(fd, dgram ? SOCK_DGRAM : SOCK_STREAM);
    if (r < 0) {
        log_error(SYSTEMD_LOG, "Cannot use the passed socket named \"%s\": %s", name, strerror(-r));
        return -1;
    }
    *slot = fd;
    char where[96];
    systemd_describe(fd, where, sizeof(where));
    log_debug(SYSTEMD_LOG, "Passed socket %d: %s %s %s", fd, name, dgram ? "udp" : "tcp", where);
    return 0;
}

int systemd_listen(struct systemd_sockets *out)
{
    out->nudp = 0;
    out->tcp = out->mgmt = out->update = -1;
    if (!sd_loaded || !systemd_fds_for_us())
        return 0;
    char **names = NULL;
    /* Unsets LISTEN_* and marks the sockets close-on-exec: they are for this process only. */
    int n = sd.listen_fds_with_names(1, &names);
    if (n < 0) {
        log_error(SYSTEMD_LOG, "Cannot take the passed sockets: %s", strerror(-n));
        return -1;
    }
    int r = 0;
    for (int i = 0; i < n && r == 0; i++) {
        const char *name = names && names[i] ? names[i] : "unknown";
        r = systemd_take(out, SD_LISTEN_FDS_START + i, name) < 0 ? -1 : 0;
    }
    if (names) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
    }
    return r;
}

static void systemd_send(const char *state)
{
    if (!sd_loaded)
        return;
    /* Keeps NOTIFY_SOCKET set: there is more to say later. */
    int r = sd.notify(0, state);
    if (r < 0)
        log_debug(SYSTEMD_LOG, "sd_notify: %s", strerror(-r));
}

void systemd_ready(const char *fmt, ...)
{
    if (!sd_loaded)
        return;
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "READY=1\nSTATUS=");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    /* STATUS= is one line. */
    for (char *p = msg + n; *p; p++)
        if (*p == '\n')
            *p = ' ';
    systemd_send(msg);
}

void systemd_reloading(void)
{
    if (!sd_loaded)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[128];
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading the config",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u);
    systemd_send(msg);
}

void systemd_stopping(void)
{
    systemd_send("STOPPING=1\nSTATUS=Stopping");
}

static void systemd_on_watchdog(uv_timer_t *t)
{
    (void)t;
    systemd_send("WATCHDOG=1");
}

void systemd_watchdog_start(uv_loop_t *loop)
{
    uint64_t usec = 0;
    if (!sd_loaded || sd_watchdog_on || sd.watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return;
    /* Half the interval, as sd_watchdog_enabled(3) advises: one late tick is not fatal. */
    uint64_t ms = usec / 2000u;
    if (ms == 0)
        ms = 1;
    uv_timer_init(loop, &sd_watchdog);
    uv_timer_start(&sd_watchdog, systemd_on_watchdog, 0, ms);
    sd_watchdog_on = true;
    log_debug(SYSTEMD_LOG, "systemd watchdog: a keep-alive every %llu ms", (unsigned long long)ms);
}

void systemd_watchdog_close(void)
{
    if (!sd_watchdog_on)
        return;
    uv_close((uv_handle_t *)&sd_watchdog, NULL);
    sd_watchdog_on = false;
}
