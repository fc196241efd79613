#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "net/addr.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "server/forward.h"
#include "server/privs.h"
#include "server/server_int.h"
#include "server/systemd.h"
#include "stats/stats.h"
#include "sync/peer.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/snap.h"

#define SERVER_LOG "nanodns.server"
#define CONFIG_LOG "nanodns.config"

/* Loads the config (file or embedded example) with the command-line overrides. On failure
 * the errors are in d. */
static int server_load(struct server *srv, struct conf **c, struct snap **s, struct conf_diag *d)
{
    if (srv->path)
        return conf_load_file(srv->path, &srv->ov, c, s, d);
    size_t len;
    const uint8_t *buf = conf_example(&len);
    return conf_load("<embedded example>", buf, len, &srv->ov, c, s, d);
}

static void server_log_diag(const struct conf_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->msgs[i].error)
            log_error(CONFIG_LOG, "Config error: %s", d->msgs[i].text);
        else
            log_warning(CONFIG_LOG, "Config warning: %s", d->msgs[i].text);
    }
    if (d->dropped)
        log_warning(CONFIG_LOG, "... and %zu more", d->dropped);
}

static struct net_tcp_opts server_tcp_opts(const struct conf *c)
{
    return (struct net_tcp_opts){
        .idle_timeout_ms = (uint32_t)c->server.tcp_idle_timeout * 1000u,
        .max_clients = (uint32_t)c->server.tcp_max_clients,
        .max_per_ip = (uint32_t)c->server.tcp_max_per_ip,
    };
}

static void server_on_signal(uv_signal_t *h, int signum)
{
    struct server *srv = h->data;
    if (signum == SIGHUP) {
        log_info(CONFIG_LOG, "SIGHUP: reloading %s",
                 srv->path ? srv->path : "the embedded example");
        struct ctl_job *j = ctl_job_new(CTL_SIGHUP, NULL, 0, false);
        if (j)
            ctl_submit(srv, j);
        return;
    }
    log_info(SERVER_LOG, "Received shutdown signal");
    systemd_stopping();
    atomic_store(&srv->stopping, true);
    ctl_close(srv);
    server_dyn_close(srv);
    if (srv->fwd_ready)
        server_forward_stop(&srv->fwd);
    net_tcp_stop(srv->tcp);
    srv->tcp = NULL;
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sighup, NULL);
}

/* How many CPUs this process may run on (its affinity mask, e.g. under taskset). */
static int server_cpus(void)
{
    cpu_set_t set;
    int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    return n < 1 ? 1 : n;
}

/* server.workers, or one UDP worker per CPU this process may run on. */
static int server_workers(const struct conf_server *cs)
{
    long n = cs->workers > 0 ? cs->workers : server_cpus();
    return n > NET_UDP_MAX_WORKERS ? NET_UDP_MAX_WORKERS : (int)n;
}

/* server.udp_steering as the k of net_addr_bind_udp_group (0: the address hash). "cpu"
 * steers over every worker. "auto" steers by CPU when the workers outnumber the CPUs the
 * process may run on (they share cores, so hashing buys no parallelism and costs a wake-up
 * per worker per batch), and then over only as many workers as there are such CPUs: a
 * datagram received on a CPU outside the set (a sender's, on loopback) would otherwise wake
 * a second thread on a shared core. */
static int server_steer_cpus(const struct conf_server *cs, int workers)
{
    if (workers <= 1 || !strcmp(cs->udp_steering, "hash"))
        return 0;
    if (!strcmp(cs->udp_steering, "cpu"))
        return workers;
    int cpus = server_cpus();
    return workers > cpus ? cpus : 0;
}

/* DNS on the sockets systemd passed (server/systemd.h), which win over server.host and
 * server.port. Each UDP worker reads one of them; with fewer sockets than workers they share
 * them, each worker with its own duplicate of the descriptor (shut down and closed as its
 * own), which recvmmsg allows: the kernel hands a datagram to one waiting reader. A
 * SO_REUSEPORT group per worker cannot be built here: a socket joins a group only under the
 * uid that created the group, and systemd's sockets are root's. A transport with no socket
 * passed stays off. */
static int server_bind_passed(struct server *srv, const struct systemd_sockets *p, int *tcp_fd)
{
    int n = p->nudp ? server_workers(&srv->conf->server) : 0;
    if (n < p->nudp)
        n = p->nudp;
    for (int i = 0; i < n; i++) {
        srv->udp_fds[i] = i < p->nudp ? p->udp[i] : fcntl(p->udp[i % p->nudp], F_DUPFD_CLOEXEC, 3);
        if (srv->udp_fds[i] < 0) {
            log_error(SERVER_LOG, "Cannot share the passed UDP socket: %s", strerror(errno));
            while (i-- > p->nudp)
                close(srv->udp_fds[i]);
            return -1;
        }
    }
    srv->nudp = n;
    socklen_t bl = sizeof(srv->bound);
    getsockname(n ? srv->udp_fds[0] : p->tcp, (struct sockaddr *)&srv->bound, &bl);
    *tcp_fd = p->tcp;
    log_info(SERVER_LOG,
             "DNS on the sockets systemd passed (%d udp, %d tcp; %d UDP worker%s); server.host "
             "and server.port are not used",
             p->nudp, p->tcp >= 0, n, n == 1 ? "" : "s");
    if (!p->nudp)
        log_warning(SERVER_LOG, "No datagram socket named dns was passed: DNS over UDP is off");
    if (p->tcp < 0)
        log_warning(SERVER_LOG, "No stream socket named dns was passed: DNS over TCP is off");
    return 0;
}

/* Binds UDP and TCP on the configured address. Port 0 picks one free port for both: the
 * kernel chooses it for UDP, and when TCP cannot have the same number another is tried. */
static int server_bind(struct server *srv, const struct systemd_sockets *passed, int *tcp_fd)
{
    if (systemd_sockets_dns(passed))
        return server_bind_passed(srv, passed, tcp_fd);
    const struct conf_server *cs = &srv->conf->server;
    struct sockaddr_storage ss;
    socklen_t sl;
    const char *why = NULL;
    if (net_addr_resolve(cs->host, (uint16_t)cs->port, &ss, &sl, &why)) {
        log_error(SERVER_LOG, "Cannot resolve listen address %s: %s", cs->host, why);
        return -1;
    }
    int n = server_workers(cs);
    int steer = server_steer_cpus(cs, n);
    int attempts = cs->port == 0 ? 50 : 1;
    for (int i = 0; i < attempts; i++) {
        int fds[NET_UDP_MAX_WORKERS];
        int r = net_addr_bind_udp_group((struct sockaddr *)&ss, sl, n, steer, fds);
        if (r == -EADDRINUSE && i + 1 < attempts)
            continue; /* port 0: the picked port was taken between probe and group */
        if (r < 0) {
            log_error(SERVER_LOG, "Cannot listen on udp %s:%lld: %s", cs->host, (long long)cs->port,
                      strerror(-r));
            return -1;
        }
        struct sockaddr_storage bound;
        socklen_t bl = sizeof(bound);
        getsockname(fds[0], (struct sockaddr *)&bound, &bl);
        int tfd = net_addr_bind((struct sockaddr *)&bound, bl, SOCK_STREAM, 128);
        if (tfd < 0) {
            for (int k = 0; k < n; k++)
                close(fds[k]);
            if (tfd == -EADDRINUSE && i + 1 < attempts)
                continue;
            log_error(SERVER_LOG, "Cannot listen on tcp %s:%u: %s", cs->host,
                      net_addr_port((struct sockaddr *)&bound), strerror(-tfd));
            return -1;
        }
        log_debug(SERVER_LOG, "UDP: %d worker%s, datagrams steered by %s (over %d)", n,
                  n == 1 ? "" : "s",
                  n == 1 ? "nothing" : steer ? "receiving CPU" : "address hash", steer ? steer : n);
        memcpy(srv->udp_fds, fds, (size_t)n * sizeof(int));
        srv->nudp = n;
        srv->bound = bound;
        *tcp_fd = tfd;
        return 0;
    }
    return -1;
}

static bool server_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

/* The management API, when mgmt_port is set. Returns 0, or -1 when it cannot listen. */
static int server_start_mgmt(struct server *srv)
{
    const struct conf_server *cs = &srv->conf->server;
    if (!cs->mgmt_port)
        return 0;
    struct sockaddr_storage ss, bound;
    socklen_t sl;
    const char *why = NULL;
    if (net_addr_resolve(cs->mgmt_host, (uint16_t)cs->mgmt_port, &ss, &sl, &why)) {
        log_error(SERVER_LOG, "Cannot resolve management address %s: %s", cs->mgmt_host, why);
        return -1;
    }
    struct mgmt_ops ops = server_api_ops(srv);
    struct mgmt_limits lim = {.max_clients = (unsigned)cs->http_max_clients,
                              .max_per_ip = (unsigned)cs->http_max_per_ip,
                              .timeout_s = (unsigned)cs->http_timeout};
    char err[256];
    if (mgmt_start((struct sockaddr *)&ss, sl, &ops, &lim, &srv->mgmt, &bound, err,
                   sizeof(err))) {
        log_error(SERVER_LOG, "Cannot listen on %s:%lld for the management API: %s",
                  cs->mgmt_host, (long long)cs->mgmt_port, err);
        return -1;
    }
    char host[64];
    net_addr_host((struct sockaddr *)&bound, host, sizeof(host));
    log_info(SERVER_LOG, "Management HTTP server on %s:%u", host,
             net_addr_port((struct sockaddr *)&bound));
    if (!*cs->mgmt_token && !server_is_loopback((struct sockaddr *)&ss))
        log_warning(SERVER_LOG,
                    "The management API on %s accepts POST /reload and /sync from anyone who "
                    "can reach it: set server.mgmt_token or bind mgmt_host to 127.0.0.1",
                    cs->mgmt_host);
    return 0;
}

/* A management API socket passed by systemd turns the API on at its address, as if
 * --mgmt-host and --mgmt-port named it (the overrides hold for every reload too); the
 * listener gets the socket from net_addr_bind. `host` keeps the text for srv->ov. */
static int server_passed_mgmt(struct server *srv, int fd, char *host, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int r = getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ? -errno : 0;
    if (r == 0)
        r = net_addr_reserve((struct sockaddr *)&ss, sl, SOCK_STREAM, fd);
    if (r < 0) {
        log_error(SERVER_LOG, "Cannot use the passed management socket: %s", strerror(-r));
        return -1;
    }
    net_addr_host((struct sockaddr *)&ss, host, cap);
    srv->ov.mgmt_host = host;
    srv->ov.mgmt_port = net_addr_port((struct sockaddr *)&ss);
    log_info(SERVER_LOG, "Management API on the socket systemd passed; server.mgmt_host and "
                         "server.mgmt_port are not used");
    return 0;
}

/* An update socket passed by systemd replaces the configured address of the update
 * listener. Whether there is a listener at all stays the config's decision, since it needs
 * the dynamic DNS state: with server.update_port 0 the socket is closed. */
static int server_passed_update(struct server *srv, int fd)
{
    const struct conf_server *cs = &srv->conf->server;
    if (!cs->update_port) {
        log_warning(SERVER_LOG, "Closing the update socket systemd passed: server.update_port "
                                "is 0, so the update listener is off");
        close(fd);
        return 0;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    const char *why = NULL;
    if (net_addr_resolve(cs->update_host, (uint16_t)cs->update_port, &ss, &sl, &why) ||
        net_addr_reserve((struct sockaddr *)&ss, sl, SOCK_STREAM, fd)) {
        log_error(SERVER_LOG, "Cannot use the passed update socket: %s",
                  why ? why : "too many passed sockets");
        return -1;
    }
    log_info(SERVER_LOG, "Update listener on the socket systemd passed; server.update_host and "
                         "server.update_port are not used");
    return 0;
}

/* After every socket is bound, the state store open and the TLS files read: the state
 * folder goes to the user (the store writes there later, and the next start must be able
 * to), then the process becomes that user (server/privs.h). */
static int server_drop_privs(struct server *srv, const struct privs *p)
{
    if (!privs_active(p))
        return 0;
    char err[512];
    if ((srv->dyn && privs_chown_dir(p, srv->conf->state_path, err, sizeof(err))) ||
        privs_drop(p, err, sizeof(err))) {
        log_error(SERVER_LOG, "Cannot drop privileges: %s", err);
        return -1;
    }
    if (!p->set_user) {
        log_info(SERVER_LOG, "Running with group %s (gid %u); the user stays root", p->group,
                 (unsigned)p->gid);
        return 0;
    }
    log_info(SERVER_LOG, "Running as user %s (uid %u), group %s (gid %u)", p->user,
             (unsigned)p->uid, p->group, (unsigned)p->gid);
    /* Config changes from the API and from peers are written beside the file (write-temp,
     * rename): say so now rather than at the first change. */
    char dir[4096];
    if (srv->path)
        conf_folder(srv->path, dir, sizeof(dir));
    if (srv->path && access(dir, W_OK | X_OK) != 0)
        log_warning(SERVER_LOG,
                    "The config folder %s is not writable by %s: changes from the "
                    "management API and from peers cannot be saved",
                    dir, p->user);
    return 0;
}

int server_run(const char *config_path, const struct conf_overrides *ov)
{
    struct server srv;
    memset(&srv, 0, sizeof(srv));
    srv.path = config_path;
    srv.ov = *ov;
    clock_gettime(CLOCK_MONOTONIC, &srv.started);
    pthread_mutex_init(&srv.info_lock, NULL);
    /* Sockets passed by systemd first: a passed management socket overrides the config. */
    struct systemd_sockets passed;
    char mgmt_host[64];
    if (systemd_init() || systemd_listen(&passed) ||
        (passed.mgmt >= 0 && server_passed_mgmt(&srv, passed.mgmt, mgmt_host, sizeof(mgmt_host))))
        return 1;

    struct conf_diag d;
    struct snap *snap = NULL;
    conf_diag_init(&d);
    int r = server_load(&srv, &srv.conf, &snap, &d);
    if (r) {
        for (size_t i = 0; i < d.n; i++)
            if (d.msgs[i].error)
                fprintf(stderr, "Config error: %s\n", d.msgs[i].text);
        conf_diag_deinit(&d);
        return 1;
    }
    log_setup(srv.conf->log_level, srv.conf->log_format);
    server_log_diag(&d);
    conf_diag_deinit(&d);
    /* An unknown user fails now, before anything is bound or created. */
    struct privs privs;
    char perr[512];
    bool privs_bad =
        privs_resolve(srv.conf->server.user, srv.conf->server.group, &privs, perr, sizeof(perr));
    if (privs_bad)
        log_error(SERVER_LOG, "%s", perr);
    if (privs_bad || server_cookie_init(&srv)) {
        snap_free(snap);
        conf_free(srv.conf);
        return 1;
    }
    if (server_dyn_open(&srv, &snap) ||
        (passed.update >= 0 && server_passed_update(&srv, passed.update))) {
        snap_free(snap);
        dyn_free(srv.dyn);
        conf_free(srv.conf);
        return 1;
    }
    const struct conf_server *cs = &srv.conf->server;

    /* UDP answers first: the sockets, then the workers, then the rest (the forwarder's
     * hooks wait for it). Until libuv catches SIGINT, SIGTERM and SIGHUP below they are
     * held pending, so a stop request while starting up is a clean stop, not a kill; the
     * workers keep them blocked, so they always reach this thread. */
    sigset_t stopsigs, oldmask;
    sigemptyset(&stopsigs);
    sigaddset(&stopsigs, SIGINT);
    sigaddset(&stopsigs, SIGTERM);
    sigaddset(&stopsigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stopsigs, &oldmask);
    signal(SIGPIPE, SIG_IGN);
    int status = 1;
    int tcp_fd = -1;
    bool ctl = false;
    snap_thread_online();
    bool bound = server_bind(&srv, &passed, &tcp_fd) == 0;
    if (!bound)
        snap_free(snap);
    else {
        server_cookie_prepare(&srv, snap);
        snap_publish(&srv.slot, snap);
    }
    server_forward_prepare(&srv.fwd);
    struct net_hooks hooks = server_forward_hooks(&srv.fwd);
    hooks.update = server_dns_update;
    /* When root is to be dropped, no query is answered before: the workers start after the
     * switch (what they gain by starting first is a millisecond, and only matters for the
     * example config's start-up, which drops nothing). */
    bool udp_late = privs_active(&privs);
    r = srv.nudp && !udp_late ? net_udp_start(srv.udp_fds, srv.nudp, &srv.slot, &hooks, &srv.udp)
                              : 0;

    log_info(CONFIG_LOG, "Loaded config from %s  (v%lld  %zu records  %zu zones  checksum=%s)",
             srv.path ? srv.path : "the embedded example", (long long)cs->config_version,
             srv.conf->nrecords, srv.conf->nzones, srv.conf->checksum);
    ctl_publish_info(&srv);
    uv_loop_init(&srv.loop);
    uv_signal_init(&srv.loop, &srv.sigint);
    uv_signal_init(&srv.loop, &srv.sigterm);
    uv_signal_init(&srv.loop, &srv.sighup);
    srv.sigint.data = srv.sigterm.data = srv.sighup.data = &srv;
    uv_signal_start(&srv.sigint, server_on_signal, SIGINT);
    uv_signal_start(&srv.sigterm, server_on_signal, SIGTERM);
    uv_signal_start(&srv.sighup, server_on_signal, SIGHUP);
    pthread_sigmask(SIG_SETMASK, &oldmask, NULL);

    if (!bound)
        goto out; /* server_bind said why */
    if (r < 0) {
        log_error(SERVER_LOG, "Cannot start the UDP workers: %s", err_str(r));
        close(tcp_fd);
        goto out;
    }
    if (server_forward_init(&srv.fwd, &srv.loop, srv.conf)) {
        log_error(SERVER_LOG, "Cannot start the forwarder: out of memory");
        close(tcp_fd);
        goto out;
    }
    srv.fwd_ready = true;
    struct net_tcp_opts topts = server_tcp_opts(srv.conf);
    r = tcp_fd < 0 ? 0 : net_tcp_start(&srv.loop, tcp_fd, &srv.slot, &topts, &hooks, &srv.tcp);
    if (r < 0) {
        log_error(SERVER_LOG, "Cannot serve TCP: %s", uv_strerror(r));
        close(tcp_fd);
        goto out;
    }
    /* Answering first; then what only the control plane needs (the config watch starts
     * libuv's thread pool, the management API loads libmicrohttpd). */
    if (ctl_init(&srv)) {
        log_error(SERVER_LOG, "Cannot start the config watch: out of memory");
        goto out;
    }
    ctl = true;
    atomic_store(&srv.jobs_ready, true);
    char host[64];
    const struct sockaddr *sa = (const struct sockaddr *)&srv.bound;
    net_addr_host(sa, host, sizeof(host));
    if (srv.nudp)
        log_info(SERVER_LOG, "NanoDNS listening on udp %s:%u", host, net_addr_port(sa));
    /* Passed sockets may put TCP on another address than UDP. */
    struct sockaddr_storage tcp_addr;
    socklen_t tcp_len = sizeof(tcp_addr);
    if (tcp_fd >= 0 && getsockname(tcp_fd, (struct sockaddr *)&tcp_addr, &tcp_len) == 0) {
        net_addr_host((struct sockaddr *)&tcp_addr, host, sizeof(host));
        log_info(SERVER_LOG, "NanoDNS listening on tcp %s:%u", host,
                 net_addr_port((struct sockaddr *)&tcp_addr));
    }
    if (server_start_mgmt(&srv))
        goto out;
    if (server_update_start(&srv))
        goto out;
    /* Every socket is bound and every file that needs root is read. */
    if (server_drop_privs(&srv, &privs))
        goto out;
    if (udp_late && srv.nudp) {
        r = net_udp_start(srv.udp_fds, srv.nudp, &srv.slot, &hooks, &srv.udp);
        if (r < 0) {
            log_error(SERVER_LOG, "Cannot start the UDP workers: %s", err_str(r));
            goto out;
        }
    }
    server_dyn_arm(&srv);
    struct sync_ops sops = server_sync_ops(&srv);
    if (sync_start(&sops, &srv.sync)) {
        log_error(SERVER_LOG, "Cannot start the peer sync thread");
        goto out;
    }
    if (cs->peers.n) {
        char list[512];
        conf_format_pylist(&cs->peers, list, sizeof(list));
        log_info(SERVER_LOG, "Peers: %s", list);
    }
    atomic_store(&srv.ready, true);
    systemd_ready("Serving config v%lld: %zu zones, %zu records", (long long)cs->config_version,
                  srv.conf->nzones, srv.conf->nrecords);
    status = 0;

out:
    if (status) {
        /* Stop what started, in the loop. */
        atomic_store(&srv.stopping, true);
        if (ctl)
            ctl_close(&srv);
        server_dyn_close(&srv);
        if (srv.tcp) {
            net_tcp_stop(srv.tcp);
            srv.tcp = NULL;
        }
        uv_close((uv_handle_t *)&srv.sigint, NULL);
        uv_close((uv_handle_t *)&srv.sigterm, NULL);
        uv_close((uv_handle_t *)&srv.sighup, NULL);
        if (srv.fwd_ready)
            server_forward_stop(&srv.fwd);
    }
    uv_run(&srv.loop, UV_RUN_DEFAULT);
    /* The HTTP threads and the sync thread may still wait on jobs: the queue is closed, so
     * they get "shutting down" and finish. */
    peer_abort_all();
    mgmt_stop(srv.mgmt);
    server_update_stop(&srv);
    net_addr_reserve_clear(); /* passed sockets no listener took (start failed first) */
    sync_stop(srv.sync);
    /* Workers next: they may still hand questions to the forwarder until they stop. */
    net_udp_stop(srv.udp);
    if (srv.fwd_ready) {
        /* Anything the workers handed over after the forwarder stopped is let go now. */
        uv_run(&srv.loop, UV_RUN_DEFAULT);
        server_forward_free(&srv.fwd);
    }
    uv_loop_close(&srv.loop);
    for (int i = 0; i < srv.nudp; i++)
        close(srv.udp_fds[i]);
    snap_publish(&srv.slot, NULL);
    snap_thread_offline();
    dyn_free(srv.dyn);
    free(srv.limit);
    conf_free(srv.conf);
    server_info_put(srv.info);
    pthread_mutex_destroy(&srv.info_lock);
    stats_free_all();
    if (!status)
        log_info(SERVER_LOG, "NanoDNS stopped");
    return status;
}
