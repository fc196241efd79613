/*
 * Fuzz target: the HTTP update rules (src/update/api.c) on any parameters. The input is
 * split at newlines into hostname, token, ipv4, ipv6, myip and a dyndns2 password; a field
 * that is a single 0x01 byte is absent. Every answer must be a row of the contract's table,
 * a change only comes with 200, and a change is well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "update/api.h"

static struct conf_dyndns hosts[2] = {
    {.name = "home.dyn.test", .token = "t0ken", .expire = 60, .ttl = 60},
    {.name = "b.dyn.test", .token = "x", .expire = 0, .ttl = 0},
};

static void fuzz_setup(struct conf *c)
{
    static int done;
    if (!done) {
        size_t len;
        for (int i = 0; i < 2; i++) {
            if (dns_name_from_text(hosts[i].name, strlen(hosts[i].name), NULL, hosts[i].wire,
                                   &len) ||
                dns_name_from_text("dyn.test", 8, NULL, hosts[i].zone, &len))
                abort();
        }
        done = 1;
    }
    memset(c, 0, sizeof(*c));
    c->dyndns = hosts;
    c->ndyndns = 2;
}

static void fuzz_check_change(const struct update_prep *p)
{
    if (!p->host || p->change.nsets > 2 || p->change.host != p->host->wire)
        abort();
    for (size_t i = 0; i < p->change.nsets; i++) {
        const struct dyn_rrset *s = &p->change.sets[i];
        size_t want = s->type == DNS_TYPE_A ? 6 : 18;
        if ((s->type != DNS_TYPE_A && s->type != DNS_TYPE_AAAA) || s->count > 1 ||
            (s->count && s->rdlen != want) || (!s->count && s->rdlen))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    const char *f[6] = {NULL};
    char *p = buf;
    for (int i = 0; i < 6 && p; i++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        f[i] = strcmp(p, "\x01") == 0 ? NULL : p;
        p = nl ? nl + 1 : NULL;
    }
    struct conf c;
    fuzz_setup(&c);
    struct update_params q = {f[0], f[1], f[2], f[3]};
    struct update_prep prep;
    update_api_prepare(&c, &q, 1000, &prep);
    static const struct {
        unsigned status;
        const char *body;
    } rows[] = {{200, "ok"},
                {400, "hostname required"},
                {403, "authorization required"},
                {400, "bad ipv4 address"},
                {400, "bad ipv6 address"},
                {400, "bad request"},
                {403, "forbidden"}};
    int ok = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        ok |= prep.status == rows[i].status && prep.body && strcmp(prep.body, rows[i].body) == 0;
    if (!ok || prep.commit != (prep.status == 200))
        abort();
    if (prep.commit)
        fuzz_check_change(&prep);

    uint8_t v4[4], v6[16];
    bool h4, h6;
    update_nic_myip(f[4], v4, &h4, v6, &h6);
    const char *hl = f[0] ? f[0] : "";
    do {
        const char *end = strchr(hl, ',');
        size_t n = end ? (size_t)(end - hl) : strlen(hl);
        update_nic_prepare(&c, hl, n, f[5], h4 ? v4 : NULL, h6 ? v6 : NULL, 1000, &prep);
        if (prep.commit)
            fuzz_check_change(&prep);
        else if (strcmp(prep.body, "notfqdn") && strcmp(prep.body, "nohost") &&
                 strcmp(prep.body, "badauth"))
            abort();
        hl = end ? end + 1 : NULL;
    } while (hl);
    free(buf);
    return 0;
}
