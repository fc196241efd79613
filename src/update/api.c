#include "update/api.h"

#include <arpa/inet.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"

bool update_token_equal(const char *given, const char *expected)
{
    size_t n = strlen(given), m = strlen(expected);
    /* Every byte of the expected token is read whatever the given one is, so the time
     * taken says nothing about how much of it matched. */
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < m; i++)
        diff |= (unsigned char)(expected[i] ^ (i < n ? given[i] : 0));
    return diff == 0;
}

static void update_answer(struct update_prep *p, unsigned status, const char *body)
{
    p->status = status;
    p->body = body;
}

/* The host named `name` (wire form, lower case), or NULL. */
static const struct conf_dyndns *update_host(const struct conf *c, const uint8_t *name)
{
    for (size_t i = 0; i < c->ndyndns; i++)
        if (dns_name_equal(c->dyndns[i].wire, name))
            return &c->dyndns[i];
    return NULL;
}

/* Parses a host name from a request; false when malformed. */
static bool update_name(const char *text, size_t len, uint8_t name[DNS_NAME_MAXLEN])
{
    size_t nlen;
    if (len == 0 || len > 254 || text[0] == '.' ||
        dns_name_from_text(text, len, NULL, name, &nlen) || nlen <= 1)
        return false;
    dns_name_lower(name);
    return true;
}

/* The RRset of one family for host h: the address, or a tombstone (addr NULL). */
static void update_set(struct update_prep *p, const struct conf_dyndns *h, uint16_t type,
                       const uint8_t *addr)
{
    struct dyn_rrset *s = &p->change.sets[p->change.nsets++];
    *s = (struct dyn_rrset){.owner = h->wire, .type = type, .ttl = h->ttl};
    if (!addr)
        return;
    uint8_t *blob = type == DNS_TYPE_A ? p->ablob : p->aaaablob;
    size_t n = type == DNS_TYPE_A ? 4 : 16;
    blob[0] = 0;
    blob[1] = (uint8_t)n;
    memcpy(blob + 2, addr, n);
    s->count = 1;
    s->rdata = blob;
    s->rdlen = 2 + n;
}

static void update_commit(struct update_prep *p, const struct conf_dyndns *h, int64_t now)
{
    p->host = h;
    p->change.host = h->wire;
    p->change.host_expires = h->expire ? now + h->expire : 0;
    p->commit = true;
    update_answer(p, 200, "ok");
}

void update_nic_myip(const char *myip, uint8_t v4[4], bool *have4, uint8_t v6[16], bool *have6)
{
    *have4 = *have6 = false;
    while (myip && *myip) {
        const char *end = strchr(myip, ',');
        size_t n = end ? (size_t)(end - myip) : strlen(myip);
        char one[64];
        if (n < sizeof(one)) {
            memcpy(one, myip, n);
            one[n] = 0;
            if (!*have4 && inet_pton(AF_INET, one, v4) == 1)
                *have4 = true;
            else if (!*have6 && inet_pton(AF_INET6, one, v6) == 1)
                *have6 = true;
        }
        myip = end ? end + 1 : NULL;
    }
}

void update_nic_prepare(const struct conf *c, const char *hostname, size_t hlen,
                        const char *password, const uint8_t *v4, const uint8_t *v6, int64_t now,
                        struct update_prep *p)
{
    memset(p, 0, sizeof(*p));
    uint8_t name[DNS_NAME_MAXLEN];
    if (!update_name(hostname, hlen, name)) {
        update_answer(p, 200, "notfqdn");
        return;
    }
    const struct conf_dyndns *h = update_host(c, name);
    if (!h) {
        p->auth_failed = true;
        update_answer(p, 200, "nohost");
        return;
    }
    if (!password || !update_token_equal(password, h->token)) {
        p->auth_failed = true;
        update_answer(p, 200, "badauth");
        return;
    }
    if (v4)
        update_set(p, h, DNS_TYPE_A, v4);
    if (v6)
        update_set(p, h, DNS_TYPE_AAAA, v6);
    update_commit(p, h, now);
}

void update_api_prepare(const struct conf *c, const struct update_params *q, int64_t now,
                        struct update_prep *p)
{
    memset(p, 0, sizeof(*p));
    if (!q->hostname)
        {
        update_answer(p, 400, "hostname required");
        return;
    }
    if (!q->token)
        {
        update_answer(p, 403, "authorization required");
        return;
    }
    uint8_t name[DNS_NAME_MAXLEN];
    if (!update_name(q->hostname, strlen(q->hostname), name)) {
        update_answer(p, 400, "bad request");
        return;
    }
    uint8_t a[4], aaaa[16];
    if (q->ipv4 && inet_pton(AF_INET, q->ipv4, a) != 1) {
        update_answer(p, 400, "bad ipv4 address");
        return;
    }
    if (q->ipv6 && inet_pton(AF_INET6, q->ipv6, aaaa) != 1) {
        update_answer(p, 400, "bad ipv6 address");
        return;
    }
    const struct conf_dyndns *h = update_host(c, name);
    /* An unknown host is answered like a wrong token. */
    if (!h || !update_token_equal(q->token, h->token)) {
        p->auth_failed = true;
        update_answer(p, 403, "forbidden");
        return;
    }
    update_set(p, h, DNS_TYPE_A, q->ipv4 ? a : NULL);
    update_set(p, h, DNS_TYPE_AAAA, q->ipv6 ? aaaa : NULL);
    update_commit(p, h, now);
}
