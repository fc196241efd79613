#include "cache/msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/rdata.h"
#include "dns/writer.h"
#include "util/err.h"

#define CACHE_MSG_MAX_RR 4096

static void cache_msg__u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Rewrites every record of the reply with our writer; records the TTL positions. */
static int cache_msg__rewrite(struct cursor *c, const struct dns_header *h, struct dns_writer *dw,
                              uint16_t *ttl_off, uint32_t *ttl, uint16_t *nttl, uint32_t *min_ttl,
                              uint32_t *soa_neg)
{
    static const enum dns_section sect[3] = {DNS_SECTION_ANSWER, DNS_SECTION_AUTHORITY,
                                             DNS_SECTION_ADDITIONAL};
    unsigned counts[3] = {h->ancount, h->nscount, h->arcount};
    uint8_t rd[65535];
    bool opt_seen = false;
    for (int s = 0; s < 3; s++) {
        for (unsigned i = 0; i < counts[s]; i++) {
            struct dns_rr rr;
            if (dns_msg_rr(c, &rr))
                return ERR_FORMAT;
            /* An extended RCODE (RFC 6891 6.1.3: the OPT TTL's top byte above the header's
             * four bits) makes the header's RCODE a part of another one (BADVERS is 16,
             * "NOERROR" in the header): not an answer we can relay. */
            if (rr.type == DNS_TYPE_OPT && (rr.ttl >> 24) != 0)
                return ERR_FORMAT;
            /* One OPT at most, in the additional section, owned by the root (RFC 6891
             * 6.1.1): anything else is a malformed reply. */
            if (rr.type == DNS_TYPE_OPT) {
                if (opt_seen || s != 2 || rr.owner[0] != 0)
                    return ERR_FORMAT;
                opt_seen = true;
            }
            if (rr.type == DNS_TYPE_OPT || rr.type == DNS_TYPE_TSIG || rr.type == DNS_TYPE_SIG)
                continue; /* hop-by-hop: never relayed */
            struct cursor rc = *c;
            struct wbuf out;
            rc.pos = rr.rdata_off;
            wbuf_init(&out, rd, sizeof(rd));
            if (dns_rdata_unpack(rr.type, &rc, rr.rdlen, &out))
                return ERR_FORMAT;
            if (*nttl == CACHE_MSG_MAX_RR)
                return ERR_FORMAT;
            uint32_t t = rr.ttl > DNS_TTL_MAX ? 0 : rr.ttl; /* RFC 2181 8 */
            size_t start = dns_writer_len(dw);
            if (dns_writer_rr(dw, sect[s], rr.owner, rr.type, rr.rclass, t, rd, (uint16_t)out.pos))
                return ERR_FORMAT;
            /* The TTL follows the owner (as written: maybe compressed), type and class. */
            struct cursor wc;
            uint8_t name[DNS_NAME_MAXLEN];
            size_t nlen;
            cursor_init(&wc, dw->w.base, dns_writer_len(dw));
            wc.pos = start;
            if (dns_name_unpack(&wc, name, &nlen))
                return ERR_FORMAT;
            ttl_off[*nttl] = (uint16_t)(wc.pos + 4);
            ttl[*nttl] = t;
            (*nttl)++;
            if (t < *min_ttl)
                *min_ttl = t;
            if (s == 1 && rr.type == DNS_TYPE_SOA && out.pos >= 4) {
                const uint8_t *m = rd + out.pos - 4;
                uint32_t minimum =
                    (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
                *soa_neg = t < minimum ? t : minimum;
            }
        }
    }
    return 0;
}

int cache_msg_new(const uint8_t *reply, size_t len, const uint8_t *lname, uint16_t qtype,
                  uint16_t qclass, uint32_t max_ttl, struct cache_msg **out)
{
    struct cursor c;
    struct dns_header h;
    struct dns_question q;
    cursor_init(&c, reply, len);
    /* A truncated reply is never an answer to keep (the forwarder asks again over TCP). */
    if (dns_msg_header(&c, &h) || !(h.flags & DNS_FLAG_QR) || (h.flags & DNS_FLAG_TC) ||
        h.qdcount != 1 ||
        DNS_OPCODE(h.flags) != DNS_OPCODE_QUERY || dns_msg_question(&c, &q))
        return ERR_FORMAT;
    if (q.qtype != qtype || q.qclass != qclass || !dns_name_equal(q.name, lname))
        return ERR_FORMAT;

    uint8_t *buf = malloc(DNS_MSG_MAX);
    uint16_t *ttl_off = malloc(CACHE_MSG_MAX_RR * sizeof(*ttl_off));
    uint32_t *ttl = malloc(CACHE_MSG_MAX_RR * sizeof(*ttl));
    int r = -ENOMEM;
    if (!buf || !ttl_off || !ttl)
        goto out;
    struct dns_writer dw;
    dns_writer_init(&dw, buf, DNS_MSG_MAX, DNS_MSG_MAX);
    dns_writer_header(&dw, 0, 0);
    dns_writer_question(&dw, lname, qtype, qclass);
    uint16_t nttl = 0;
    uint32_t min_ttl = UINT32_MAX, soa_neg = UINT32_MAX;
    r = cache_msg__rewrite(&c, &h, &dw, ttl_off, ttl, &nttl, &min_ttl, &soa_neg);
    if (r)
        goto out;
    size_t wlen = dns_writer_finish(&dw);

    uint8_t rcode = (uint8_t)DNS_RCODE(h.flags);
    bool negative = rcode == DNS_RCODE_NXDOMAIN ||
                    (rcode == DNS_RCODE_NOERROR && dw.counts[DNS_SECTION_ANSWER] == 0);
    uint32_t lifetime = 0;
    if (negative)
        lifetime = soa_neg == UINT32_MAX ? 0 : soa_neg; /* no SOA: not cached (RFC 2308 5) */
    else if (rcode == DNS_RCODE_NOERROR)
        lifetime = min_ttl;
    if (lifetime > max_ttl)
        lifetime = max_ttl;

    /* One allocation: the struct, then TTL values, offsets and the wire. */
    size_t size = sizeof(struct cache_msg) + nttl * (sizeof(uint32_t) + sizeof(uint16_t)) + wlen;
    struct cache_msg *m = malloc(size);
    if (!m) {
        r = -ENOMEM;
        goto out;
    }
    uint32_t *mttl = (uint32_t *)(m + 1);
    uint16_t *moff = (uint16_t *)(mttl + nttl);
    uint8_t *mwire = (uint8_t *)(moff + nttl);
    memcpy(mttl, ttl, nttl * sizeof(*mttl));
    memcpy(moff, ttl_off, nttl * sizeof(*moff));
    memcpy(mwire, buf, wlen);
    *m = (struct cache_msg){
        .lifetime = lifetime,
        .len = (uint16_t)wlen,
        .qname_len = (uint16_t)q.name_len,
        .nttl = nttl,
        .rcode = rcode,
        .ad = (h.flags & DNS_FLAG_AD) != 0,
        .negative = negative,
        .ttl_off = moff,
        .ttl = mttl,
        .wire = mwire,
    };
    *out = m;
    r = 0;
out:
    free(buf);
    free(ttl_off);
    free(ttl);
    return r;
}

void cache_msg_free(struct cache_msg *m)
{
    free(m);
}

static size_t cache_msg__opt(uint8_t *p, const struct cache_client *c)
{
    p[0] = 0;
    p[1] = 0;
    p[2] = DNS_TYPE_OPT;
    p[3] = (uint8_t)(c->payload >> 8);
    p[4] = (uint8_t)c->payload;
    p[5] = 0;
    p[6] = 0;
    p[7] = c->do_bit ? 0x80 : 0;
    p[8] = 0;
    p[9] = 0;
    p[10] = 0;
    return 11;
}

int cache_msg_render(const struct cache_msg *m, const struct cache_client *c, uint32_t elapsed,
                     uint8_t *buf, size_t cap)
{
    size_t limit = c->limit < cap ? c->limit : cap;
    size_t opt = c->edns ? 11 : 0;
    if (cap < DNS_UDP_MIN || limit < (size_t)12 + m->qname_len + 4 + opt)
        return ERR_SPACE;
    uint16_t flags =
        DNS_FLAG_QR | DNS_FLAG_RA | (c->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | m->rcode;
    if (m->ad && (c->do_bit || (c->flags & DNS_FLAG_AD)))
        flags |= DNS_FLAG_AD;
    size_t len;
    if (m->len + opt > limit) {
        /* Too big for this client: the question only, with TC. */
        len = (size_t)12 + m->qname_len + 4;
        memcpy(buf, m->wire, len);
        memset(buf + 6, 0, 6);
        flags |= DNS_FLAG_TC;
    } else {
        len = m->len;
        memcpy(buf, m->wire, len);
        for (uint16_t i = 0; i < m->nttl; i++) {
            uint32_t t = m->ttl[i] > elapsed ? m->ttl[i] - elapsed : 0;
            cache_msg__u32(buf + m->ttl_off[i], t);
        }
    }
    buf[0] = (uint8_t)(c->id >> 8);
    buf[1] = (uint8_t)c->id;
    buf[2] = (uint8_t)(flags >> 8);
    buf[3] = (uint8_t)flags;
    memcpy(buf + 12, c->qname, m->qname_len);
    if (opt) {
        len += cache_msg__opt(buf + len, c);
        uint16_t ar = (uint16_t)(buf[10] << 8 | buf[11]) + 1;
        buf[10] = (uint8_t)(ar >> 8);
        buf[11] = (uint8_t)ar;
    }
    return (int)len;
}
