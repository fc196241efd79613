/*
 * Class CH: the names operators and monitoring ask a server about itself, as BIND, Knot and
 * NSD answer them. version.bind and version.server give the version text, hostname.bind and
 * id.server the identity (RFC 4892), as one TXT record with TTL 0. A hidden text, and every
 * other CH name, is REFUSED; another type at one of these names is NODATA.
 */
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "query/internal.h"

static const uint8_t chaos_names[4][16] = {
    "\007version\004bind",
    "\007version\006server",
    "\010hostname\004bind",
    "\002id\006server",
};

void query__chaos(struct query *q)
{
    const struct snap_opts *o = &q->snap->opts;
    int which = -1;
    for (int i = 0; i < 4 && which < 0; i++)
        if (dns_name_equal(q->q.name, chaos_names[i]))
            which = i;
    bool version = which == 0 || which == 1;
    if (which < 0 || (version ? o->version_hidden : o->identity_hidden)) {
        q->rcode = DNS_RCODE_REFUSED;
        q->outcome = QUERY_OUTCOME_ERROR;
        return;
    }
    q->rcode = DNS_RCODE_NOERROR;
    q->aa = true;
    q->outcome = QUERY_OUTCOME_ANSWER;
    if (q->q.qtype != DNS_TYPE_TXT && q->q.qtype != DNS_TYPE_ANY)
        return;
    uint8_t rdata[256];
    uint8_t len = version ? o->version_len : o->identity_len;
    rdata[0] = len;
    memcpy(rdata + 1, version ? o->version : o->identity, len);
    struct dns_writer_mark m;
    dns_writer_mark(&q->dw, &m);
    if (dns_writer_rr(&q->dw, DNS_SECTION_ANSWER, q->q.name, DNS_TYPE_TXT, DNS_CLASS_CH, 0,
                      rdata, (uint16_t)(len + 1u))) {
        dns_writer_rollback(&q->dw, &m);
        q->tc = true;
    }
}
