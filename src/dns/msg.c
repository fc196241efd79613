#include "dns/msg.h"

int dns_msg_header(struct cursor *c, struct dns_header *h)
{
    h->id = cursor_u16(c);
    h->flags = cursor_u16(c);
    h->qdcount = cursor_u16(c);
    h->ancount = cursor_u16(c);
    h->nscount = cursor_u16(c);
    h->arcount = cursor_u16(c);
    return c->err;
}

int dns_msg_question(struct cursor *c, struct dns_question *q)
{
    int r = dns_name_unpack(c, q->name, &q->name_len);
    if (r)
        return r;
    q->qtype = cursor_u16(c);
    q->qclass = cursor_u16(c);
    return c->err;
}

int dns_msg_rr(struct cursor *c, struct dns_rr *rr)
{
    int r = dns_name_unpack(c, rr->owner, &rr->owner_len);
    if (r)
        return r;
    rr->type = cursor_u16(c);
    rr->rclass = cursor_u16(c);
    rr->ttl = cursor_u32(c);
    rr->rdlen = cursor_u16(c);
    rr->rdata_off = c->pos;
    cursor_skip(c, rr->rdlen);
    return c->err;
}
