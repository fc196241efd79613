#include "dns/writer.h"

#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "dns/rdata.h"

void dns_writer_init(struct dns_writer *dw, uint8_t *buf, size_t cap, size_t limit)
{
    if (limit > cap)
        limit = cap;
    wbuf_init(&dw->w, buf, limit);
    dw->cap = cap;
    memset(dw->counts, 0, sizeof(dw->counts));
    dw->ncomp = 0;
}

void dns_writer_set_limit(struct dns_writer *dw, size_t limit)
{
    if (limit > dw->cap)
        limit = dw->cap;
    if (limit < dw->w.pos)
        limit = dw->w.pos;
    dw->w.cap = limit;
}

size_t dns_writer_limit(const struct dns_writer *dw)
{
    return dw->w.cap;
}

void dns_writer_header(struct dns_writer *dw, uint16_t id, uint16_t flags)
{
    dw->w.pos = 0;
    dw->w.err = 0;
    wbuf_u16(&dw->w, id);
    wbuf_u16(&dw->w, flags);
    for (int i = 0; i < 4; i++)
        wbuf_u16(&dw->w, 0);
}

void dns_writer_set_flags(struct dns_writer *dw, uint16_t flags)
{
    if (dw->w.pos >= DNS_HDR_LEN)
        wbuf_put_u16_at(&dw->w, 2, flags);
}

uint16_t dns_writer_flags(const struct dns_writer *dw)
{
    if (dw->w.pos < DNS_HDR_LEN)
        return 0;
    return (uint16_t)(dw->w.base[2] << 8 | dw->w.base[3]);
}

/* Does the (possibly compressed) name at message offset `off` equal `name`? */
static bool dns_writer__match_at(const struct dns_writer *dw, size_t off, const uint8_t *name)
{
    const uint8_t *msg = dw->w.base;
    int hops = 0;
    for (;;) {
        if (off >= dw->w.pos)
            return false;
        uint8_t l = msg[off];
        if ((l & 0xc0) == 0xc0) {
            if (++hops > 64 || off + 1 >= dw->w.pos)
                return false;
            off = (size_t)(l & 0x3f) << 8 | msg[off + 1];
            continue;
        }
        if (l != *name)
            return false;
        if (l == 0)
            return true;
        for (uint8_t i = 1; i <= l; i++)
            if (dns_lower(msg[off + i]) != dns_lower(name[i]))
                return false;
        off += 1u + l;
        name += 1u + l;
    }
}

int dns_writer_name(struct dns_writer *dw, const uint8_t *name, bool compress)
{
    struct wbuf *w = &dw->w;
    size_t start = w->pos;
    unsigned ncomp0 = dw->ncomp;
    const uint8_t *p = name;
    size_t len = dns_name_len(name);

    while (*p) {
        size_t rest = len - (size_t)(p - name); /* this suffix's length */
        if (compress) {
            for (unsigned i = 0; i < dw->ncomp; i++) {
                if (dw->comp_len[i] == rest && dns_writer__match_at(dw, dw->comp[i], p)) {
                    wbuf_u16(w, (uint16_t)(0xc000u | dw->comp[i]));
                    goto done;
                }
            }
        }
        /* Remember this label position as a future target. */
        if (w->pos < 0x4000 && dw->ncomp < DNS_WRITER_COMP_MAX) {
            dw->comp[dw->ncomp] = (uint16_t)w->pos;
            dw->comp_len[dw->ncomp++] = (uint8_t)rest;
        }
        wbuf_bytes(w, p, 1u + *p);
        p += 1u + *p;
    }
    wbuf_u8(w, 0);
done:
    if (w->err) {
        int err = w->err;
        wbuf_reset_to(w, start);
        dw->ncomp = ncomp0;
        return err;
    }
    return 0;
}

int dns_writer_question(struct dns_writer *dw, const uint8_t *name, uint16_t qtype, uint16_t qclass)
{
    size_t start = dw->w.pos;
    unsigned ncomp0 = dw->ncomp;
    int r = dns_writer_name(dw, name, true);
    if (r)
        return r;
    wbuf_u16(&dw->w, qtype);
    wbuf_u16(&dw->w, qclass);
    if (dw->w.err) {
        r = dw->w.err;
        wbuf_reset_to(&dw->w, start);
        dw->ncomp = ncomp0;
        return r;
    }
    dw->counts[DNS_SECTION_QUESTION]++;
    return 0;
}

int dns_writer_rr(struct dns_writer *dw, enum dns_section section, const uint8_t *owner,
                  uint16_t type, uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
                  uint16_t rdlen)
{
    struct dns_writer_mark m;
    dns_writer_mark(dw, &m);
    int r = dns_writer_name(dw, owner, true);
    if (r)
        return r;
    wbuf_u16(&dw->w, type);
    wbuf_u16(&dw->w, rclass);
    wbuf_u32(&dw->w, ttl);
    if (!dw->w.err)
        r = dns_rdata_write(dw, type, rdata, rdlen);
    if (r || dw->w.err) {
        if (!r)
            r = dw->w.err;
        dns_writer_rollback(dw, &m);
        return r;
    }
    dw->counts[section]++;
    return 0;
}

void dns_writer_mark(const struct dns_writer *dw, struct dns_writer_mark *m)
{
    m->pos = dw->w.pos;
    m->ncomp = dw->ncomp;
    memcpy(m->counts, dw->counts, sizeof(m->counts));
}

void dns_writer_rollback(struct dns_writer *dw, const struct dns_writer_mark *m)
{
    wbuf_reset_to(&dw->w, m->pos);
    dw->ncomp = m->ncomp;
    memcpy(dw->counts, m->counts, sizeof(m->counts));
}

size_t dns_writer_finish(struct dns_writer *dw)
{
    if (dw->w.pos >= DNS_HDR_LEN) {
        for (int i = 0; i < 4; i++)
            wbuf_put_u16_at(&dw->w, 4 + 2 * (size_t)i, dw->counts[i]);
    }
    return dw->w.pos;
}
