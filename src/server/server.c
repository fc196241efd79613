#include "server/server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "net/addr.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "server/forward.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/snap.h"

#define SERVER_LOG "nanodns.server"
#define CONFIG_LOG "nanodns.config"

struct server {
    uv_loop_t loop;
    struct snap_slot slot;
    struct conf *conf;
    const char *path;
    struct conf_overrides ov;
    int udp_fd;
    struct sockaddr_storage bound;
    struct net_udp *udp;
    struct net_tcp *tcp;
    struct server_forward fwd;
    bool fwd_ready;
    uv_signal_t sigint, sigterm, sighup;
};

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
    };
}

static void server_warn_restart(const struct conf *old, const struct conf *nc)
{
    const struct conf_server *a = &old->server, *b = &nc->server;
    if (strcmp(a->host, b->host) != 0 || a->port != b->port)
        log_warning(CONFIG_LOG, "server.host/server.port changed: takes effect after a restart");
    if (a->tcp_max_clients != b->tcp_max_clients)
        log_warning(CONFIG_LOG, "server.tcp_max_clients changed: takes effect after a restart");
}

static void server_reload(struct server *srv)
{
    struct conf_diag d;
    struct conf *nc = NULL;
    struct snap *ns = NULL;
    conf_diag_init(&d);
    log_info(CONFIG_LOG, "Reloading %s", srv->path ? srv->path : "the embedded example");
    int r = server_load(srv, &nc, &ns, &d);
    server_log_diag(&d);
    conf_diag_deinit(&d);
    if (r) {
        log_error(CONFIG_LOG, "Reload failed; the running config keeps serving");
        return;
    }
    server_warn_restart(srv->conf, nc);
    log_setup(nc->log_level, nc->log_format);
    struct net_tcp_opts topts = server_tcp_opts(nc);
    topts.max_clients = (uint32_t)srv->conf->server.tcp_max_clients; /* restart only */
    nc->server.tcp_max_clients = srv->conf->server.tcp_max_clients;
    net_tcp_set_opts(srv->tcp, &topts);
    snap_publish(&srv->slot, ns);
    server_forward_apply(&srv->fwd, nc, true);
    conf_free(srv->conf);
    srv->conf = nc;
    log_info(CONFIG_LOG, "Config applied  v%lld  (%zu records  %zu zones)",
             (long long)nc->server.config_version, nc->nrecords, nc->nzones);
}

static void server_on_signal(uv_signal_t *h, int signum)
{
    struct server *srv = h->data;
    if (signum == SIGHUP) {
        server_reload(srv);
        return;
    }
    log_info(SERVER_LOG, "Received shutdown signal");
    if (srv->fwd_ready)
        server_forward_stop(&srv->fwd);
    net_tcp_stop(srv->tcp);
    srv->tcp = NULL;
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sighup, NULL);
}

/* Binds UDP and TCP on the configured address. Port 0 picks one free port for both: the
 * kernel chooses it for UDP, and when TCP cannot have the same number another is tried. */
static int server_bind(struct server *srv, int *tcp_fd)
{
    const struct conf_server *cs = &srv->conf->server;
    struct sockaddr_storage ss;
    socklen_t sl;
    const char *why = NULL;
    if (net_addr_resolve(cs->host, (uint16_t)cs->port, &ss, &sl, &why)) {
        log_error(SERVER_LOG, "Cannot resolve listen address %s: %s", cs->host, why);
        return -1;
    }
    int attempts = cs->port == 0 ? 50 : 1;
    for (int i = 0; i < attempts; i++) {
        int fd = net_addr_bind((struct sockaddr *)&ss, sl, SOCK_DGRAM, 0);
        if (fd < 0) {
            log_error(SERVER_LOG, "Cannot listen on udp %s:%lld: %s", cs->host, (long long)cs->port,
                      strerror(-fd));
            return -1;
        }
        struct sockaddr_storage bound;
        socklen_t bl = sizeof(bound);
        getsockname(fd, (struct sockaddr *)&bound, &bl);
        int tfd = net_addr_bind((struct sockaddr *)&bound, bl, SOCK_STREAM, 128);
        if (tfd == -EADDRINUSE && i + 1 < attempts) {
            close(fd);
            continue;
        }
        if (tfd < 0) {
            log_error(SERVER_LOG, "Cannot listen on tcp %s:%u: %s", cs->host,
                      net_addr_port((struct sockaddr *)&bound), strerror(-tfd));
            close(fd);
            return -1;
        }
        srv->udp_fd = fd;
        srv->bound = bound;
        *tcp_fd = tfd;
        return 0;
    }
    return -1;
}

int server_run(const char *config_path, const struct conf_overrides *ov)
{
    struct server srv;
    memset(&srv, 0, sizeof(srv));
    srv.path = config_path;
    srv.ov = *ov;
    srv.udp_fd = -1;

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
    const struct conf_server *cs = &srv.conf->server;
    log_info(CONFIG_LOG, "Loaded config from %s  (v%lld  %zu records  %zu zones)",
             srv.path ? srv.path : "the embedded example", (long long)cs->config_version,
             srv.conf->nrecords, srv.conf->nzones);

    /* Signals are caught from here on (libuv queues them until the loop runs), so a stop
     * request that arrives while starting up is a clean stop, not a kill. */
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&srv.loop);
    uv_signal_init(&srv.loop, &srv.sigint);
    uv_signal_init(&srv.loop, &srv.sigterm);
    uv_signal_init(&srv.loop, &srv.sighup);
    srv.sigint.data = srv.sigterm.data = srv.sighup.data = &srv;
    uv_signal_start(&srv.sigint, server_on_signal, SIGINT);
    uv_signal_start(&srv.sigterm, server_on_signal, SIGTERM);
    uv_signal_start(&srv.sighup, server_on_signal, SIGHUP);

    int status = 1;
    int tcp_fd = -1;
    snap_thread_online();
    if (server_bind(&srv, &tcp_fd)) {
        snap_free(snap);
        goto out;
    }
    snap_publish(&srv.slot, snap);

    if (server_forward_init(&srv.fwd, &srv.loop, srv.conf)) {
        log_error(SERVER_LOG, "Cannot start the forwarder: out of memory");
        close(tcp_fd);
        goto out;
    }
    srv.fwd_ready = true;
    struct net_hooks hooks = server_forward_hooks(&srv.fwd);
    struct net_tcp_opts topts = server_tcp_opts(srv.conf);
    r = net_tcp_start(&srv.loop, tcp_fd, &srv.slot, &topts, &hooks, &srv.tcp);
    if (r < 0) {
        log_error(SERVER_LOG, "Cannot serve TCP: %s", uv_strerror(r));
        close(tcp_fd);
        goto out;
    }
    r = net_udp_start(srv.udp_fd, 1, &srv.slot, &hooks, &srv.udp);
    if (r < 0) {
        log_error(SERVER_LOG, "Cannot start the UDP worker: %s", err_str(r));
        net_tcp_stop(srv.tcp);
        goto out;
    }
    char host[64];
    const struct sockaddr *sa = (const struct sockaddr *)&srv.bound;
    net_addr_host(sa, host, sizeof(host));
    log_info(SERVER_LOG, "NanoDNS listening on udp %s:%u", host, net_addr_port(sa));
    log_info(SERVER_LOG, "NanoDNS listening on tcp %s:%u", host, net_addr_port(sa));
    if (cs->mgmt_port)
        log_warning(SERVER_LOG,
                    "The management API is not part of this version yet; mgmt_port %lld is "
                    "ignored",
                    (long long)cs->mgmt_port);
    status = 0;

out:
    if (status) {
        uv_close((uv_handle_t *)&srv.sigint, NULL);
        uv_close((uv_handle_t *)&srv.sigterm, NULL);
        uv_close((uv_handle_t *)&srv.sighup, NULL);
    }
    uv_run(&srv.loop, UV_RUN_DEFAULT);
    /* Workers first: they may still hand questions to the forwarder until they stop. */
    net_udp_stop(srv.udp);
    if (srv.fwd_ready) {
        if (status) {
            server_forward_stop(&srv.fwd);
            uv_run(&srv.loop, UV_RUN_DEFAULT);
        }
        server_forward_free(&srv.fwd);
    }
    uv_loop_close(&srv.loop);
    if (srv.udp_fd >= 0)
        close(srv.udp_fd);
    snap_publish(&srv.slot, NULL);
    snap_thread_offline();
    conf_free(srv.conf);
    if (!status)
        log_info(SERVER_LOG, "NanoDNS stopped");
    return status;
}
