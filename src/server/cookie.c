/*
 * The DNS cookie secrets a snapshot carries (control thread, before each publish).
 *
 * server.cookie_secret, when given, is the secret; otherwise one generated at start is,
 * the same for the life of the process. When a reload changes the secret, the one before
 * is kept as the previous secret for DNS_COOKIE_LIFETIME seconds plus the allowed clock
 * skew, the longest any cookie made with it stays valid: clients holding such cookies are
 * not made to start over (RFC 9018 4.4: roll the secret, accept both for a while). A
 * restart forgets the previous secret; a cluster that rotates its shared secret should
 * reload, not restart, its nodes.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dns/cookie.h"
#include "server/server_int.h"
#include "util/log.h"

int server_cookie_init(struct server *srv)
{
    if (getrandom(srv->cookie_secret, sizeof(srv->cookie_secret), 0) ==
        (ssize_t)sizeof(srv->cookie_secret))
        return 0;
    log_error("nanodns.server", "Cannot draw the DNS cookie secret: %s", strerror(errno));
    return -1;
}

void server_cookie_prepare(struct server *srv, struct snap *ns)
{
    if (!ns)
        return;
    struct snap_opts *o = &ns->opts;
    if (!o->cookie_secret_set)
        memcpy(o->cookie_secret, srv->cookie_secret, sizeof(o->cookie_secret));
    const struct snap *old = srv->slot.cur; /* the control thread is the only writer */
    uint64_t now = (uint64_t)time(NULL);
    if (!old)
        return;
    const struct snap_opts *p = &old->opts;
    if (memcmp(p->cookie_secret, o->cookie_secret, sizeof(o->cookie_secret))) {
        memcpy(o->cookie_prev_secret, p->cookie_secret, sizeof(o->cookie_prev_secret));
        o->cookie_prev_until = now + DNS_COOKIE_LIFETIME + DNS_COOKIE_SKEW;
        log_info("nanodns.server", "cookie secret changed; the previous one is accepted for "
                                   "another %d s",
                 DNS_COOKIE_LIFETIME + DNS_COOKIE_SKEW);
    } else if (p->cookie_prev_until > now) {
        memcpy(o->cookie_prev_secret, p->cookie_prev_secret, sizeof(o->cookie_prev_secret));
        o->cookie_prev_until = p->cookie_prev_until;
    }
}
