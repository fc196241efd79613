#include "conf/zonefile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/zonefile.h"
#include "util/err.h"

struct conf_zonefile_ctx {
    const uint8_t *apex;
    struct zone_builder *b;
    struct conf_sources *src;
    struct conf_diag *d;
    struct conf_zonefile *out;
    const char *soa_file;
    unsigned soa_line;
};

/* "file:line:col: msg" as compilers print it (named-checkzone's file:line with a column),
 * without the parts that are 0. */
static void conf_zonefile__msg(void *arg, bool error, const char *file, unsigned line, unsigned col,
                               const char *msg)
{
    struct conf_zonefile_ctx *c = arg;
    char where[32] = "";
    if (line && col)
        snprintf(where, sizeof(where), ":%u:%u", line, col);
    else if (line)
        snprintf(where, sizeof(where), ":%u", line);
    if (error)
        conf_diag_error(c->d, "%s%s: %s", file, where, msg);
    else
        conf_diag_warn(c->d, "%s%s: %s", file, where, msg);
}

static int conf_zonefile__rr(void *arg, const struct dns_zonefile_rr *rr)
{
    struct conf_zonefile_ctx *c = arg;
    char owner[DNS_NAME_MAXLEN * 4 + 2], apex[DNS_NAME_MAXLEN * 4 + 2];

    if (!dns_name_is_subdomain(rr->owner, c->apex)) {
        dns_name_to_text(rr->owner, owner, sizeof(owner), 0);
        dns_name_to_text(c->apex, apex, sizeof(apex), 0);
        conf_diag_warn(c->d, "%s:%u:%u: %s is outside the zone %s (ignored)", rr->file, rr->line,
                       rr->col, owner, apex);
        return 0;
    }
    int source = conf_sources_file(c->src, rr->file, rr->line);
    if (source < 0)
        return -ENOMEM;
    if (rr->type == DNS_TYPE_SOA) {
        if (!dns_name_equal(rr->owner, c->apex)) {
            dns_name_to_text(rr->owner, owner, sizeof(owner), 0);
            conf_diag_error(c->d, "%s:%u:%u: an SOA record below the zone apex (%s)", rr->file,
                            rr->line, rr->col, owner);
        } else if (c->out->have_soa) {
            /* About the record, not a token: file:line like the zone checks' messages. */
            conf_diag_error(c->d, "%s:%u: a second SOA record (first: %s:%u)", rr->file, rr->line,
                            c->soa_file, c->soa_line);
        } else if (rr->rdlen <= sizeof(c->out->soa)) {
            c->out->have_soa = true;
            memcpy(c->out->soa, rr->rdata, rr->rdlen);
            c->out->soa_len = rr->rdlen;
            c->out->soa_ttl = rr->ttl;
            c->out->soa_source = source;
            c->out->records++;
            c->soa_file = c->src->files[c->src->lines[source - CONF_SOURCE_FILE].file];
            c->soa_line = rr->line;
        }
        return 0;
    }
    int r =
        zone_builder_add_rr(c->b, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen, 0, source);
    if (!r && rr->type == DNS_TYPE_NS)
        r = conf_sources_ns(c->src, rr->owner, rr->rdata, source);
    if (r)
        return r;
    c->out->records++;
    return 0;
}

bool conf_zonefile_load(const char *path, const uint8_t *apex, struct zone_builder *b,
                        struct conf_sources *src, struct conf_diag *d, struct conf_zonefile *out)
{
    struct conf_zonefile_ctx c = {.apex = apex, .b = b, .src = src, .d = d, .out = out};
    memset(out, 0, sizeof(*out));
    struct dns_zonefile_opts o = {
        .origin = apex,
        .rr = conf_zonefile__rr,
        .msg = conf_zonefile__msg,
        .ctx = &c,
    };
    size_t errors = d->errors;
    int r = dns_zonefile_parse_file(path, &o);
    if (r == -ENOMEM)
        conf_diag_error(d, "%s: out of memory", path);
    if (r == 0 && !out->have_soa && d->errors == errors) {
        char name[DNS_NAME_MAXLEN * 4 + 2];
        dns_name_to_text(apex, name, sizeof(name), 0);
        conf_diag_error(d, "%s: no SOA record at the zone apex %s", path, name);
    }
    return d->errors == errors && out->have_soa;
}
