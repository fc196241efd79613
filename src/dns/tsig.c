/*
 * TSIG (RFC 8945).
 *
 * The MAC input is never assembled in a buffer: its parts go to the HMAC one after the
 * other. For a response that starts with the request's MAC, as sent, behind its 2-byte
 * length (RFC 8945 4.3.1); then comes the message as it was before the TSIG RR was added,
 * rebuilt on the fly from the signed one by writing Original ID over the ID and ARCOUNT - 1
 * over ARCOUNT (4.3.2: a forwarder may have changed the ID); then the TSIG variables of
 * 4.3.3: key name, class ANY, TTL 0, algorithm name, Time Signed, Fudge, Error, Other Len
 * and Other Data. The two names go in canonical form (lower case, uncompressed) whatever
 * their case in the message, so a key configured as Key.Example. on one side and
 * key.example. on the other still agree, and a client may compress the key name.
 *
 * dns_tsig_find walks every RR of the message instead of jumping to the last one: a TSIG
 * RR anywhere but last must be refused (5.2), and only a full walk sees one there.
 *
 * Verification follows the order of 5.2 so that the caller learns the error RFC 8945
 * wants reported: key (BADKEY), MAC size (FORMERR), MAC (BADSIG), time (BADTIME), then
 * the local truncation policy (BADTRUNC). BADTRUNC comes last on purpose: its reply is
 * signed over the request's MAC, which is only sound once that MAC has verified.
 * The MAC is compared with nettle's memeql_sec, whose time does not depend on where the
 * first difference is.
 *
 * The writers check that the whole RR fits before writing a byte, so a failed call leaves
 * the caller's buffer exactly as it was.
 */
#include "dns/tsig.h"

#include <string.h>

#include <nettle/hmac.h>
#include <nettle/memops.h>

#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/wbuf.h"

#define DNS_TSIG__TIME_MAX  0xffffffffffffu /* Time Signed has 48 bits */
#define DNS_TSIG__FIXED_LEN 16 /* RDATA after the algorithm name, without MAC and Other */

static const struct {
    const uint8_t *name;
    size_t mac_size;
} dns_tsig__algs[] = {
    [DNS_TSIG_HMAC_SHA1] = {(const uint8_t *)"\011hmac-sha1", SHA1_DIGEST_SIZE},
    [DNS_TSIG_HMAC_SHA256] = {(const uint8_t *)"\013hmac-sha256", SHA256_DIGEST_SIZE},
    [DNS_TSIG_HMAC_SHA512] = {(const uint8_t *)"\013hmac-sha512", SHA512_DIGEST_SIZE},
};

static bool dns_tsig__alg_valid(enum dns_tsig_alg alg)
{
    return (unsigned)alg < sizeof(dns_tsig__algs) / sizeof(dns_tsig__algs[0]);
}

int dns_tsig_alg_from_name(const uint8_t *wire_name, enum dns_tsig_alg *out)
{
    for (unsigned i = 0; i < sizeof(dns_tsig__algs) / sizeof(dns_tsig__algs[0]); i++) {
        if (dns_name_equal(wire_name, dns_tsig__algs[i].name)) {
            *out = (enum dns_tsig_alg)i;
            return 0;
        }
    }
    return ERR_NOTFOUND;
}

const uint8_t *dns_tsig_alg_name(enum dns_tsig_alg alg)
{
    return dns_tsig__alg_valid(alg) ? dns_tsig__algs[alg].name : NULL;
}

size_t dns_tsig_mac_size(enum dns_tsig_alg alg)
{
    return dns_tsig__alg_valid(alg) ? dns_tsig__algs[alg].mac_size : 0;
}

void dns_tsig_time_other(uint64_t now, uint8_t out[DNS_TSIG_OTHER_MAX])
{
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(now >> (40 - 8 * i));
}

/* ---- HMAC ------------------------------------------------------------------------------ */

struct dns_tsig__hmac {
    enum dns_tsig_alg alg;
    union {
        struct hmac_sha1_ctx sha1;
        struct hmac_sha256_ctx sha256;
        struct hmac_sha512_ctx sha512;
    } u;
};

/* The key must have passed dns_tsig__key_check. */
static void dns_tsig__hmac_init(struct dns_tsig__hmac *h, const struct dns_tsig_key *key)
{
    /* An empty secret may come as NULL; nettle copies from the pointer all the same. */
    static const uint8_t empty[1];
    const uint8_t *secret = key->secret ? key->secret : empty;

    h->alg = key->alg;
    switch (key->alg) {
    case DNS_TSIG_HMAC_SHA1:
        hmac_sha1_set_key(&h->u.sha1, key->secret_len, secret);
        break;
    case DNS_TSIG_HMAC_SHA256:
        hmac_sha256_set_key(&h->u.sha256, key->secret_len, secret);
        break;
    case DNS_TSIG_HMAC_SHA512:
        hmac_sha512_set_key(&h->u.sha512, key->secret_len, secret);
        break;
    }
}

static void dns_tsig__hmac_update(struct dns_tsig__hmac *h, const uint8_t *p, size_t n)
{
    if (!n)
        return;
    switch (h->alg) {
    case DNS_TSIG_HMAC_SHA1:
        hmac_sha1_update(&h->u.sha1, n, p);
        break;
    case DNS_TSIG_HMAC_SHA256:
        hmac_sha256_update(&h->u.sha256, n, p);
        break;
    case DNS_TSIG_HMAC_SHA512:
        hmac_sha512_update(&h->u.sha512, n, p);
        break;
    }
}

static void dns_tsig__hmac_u16(struct dns_tsig__hmac *h, uint16_t v)
{
    const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    dns_tsig__hmac_update(h, b, 2);
}

/* Writes the full-length MAC and wipes the context, which holds key material. */
static void dns_tsig__hmac_digest(struct dns_tsig__hmac *h, uint8_t out[DNS_TSIG_MAC_MAX])
{
    switch (h->alg) {
    case DNS_TSIG_HMAC_SHA1:
        hmac_sha1_digest(&h->u.sha1, SHA1_DIGEST_SIZE, out);
        break;
    case DNS_TSIG_HMAC_SHA256:
        hmac_sha256_digest(&h->u.sha256, SHA256_DIGEST_SIZE, out);
        break;
    case DNS_TSIG_HMAC_SHA512:
        hmac_sha512_digest(&h->u.sha512, SHA512_DIGEST_SIZE, out);
        break;
    }
    explicit_bzero(h, sizeof(*h));
}

/*
 * The MAC of RFC 8945 4.3: [request MAC length and request MAC,] the message msg[0, end)
 * with t->orig_id as its ID and `arcount` as its ARCOUNT, then the TSIG variables of t.
 * end >= DNS_HDR_LEN; t's names are valid.
 */
static void dns_tsig__mac(const struct dns_tsig_key *key, const uint8_t *req_mac,
                          size_t req_mac_len, const uint8_t *msg, size_t end, uint16_t arcount,
                          const struct dns_tsig_rr *t, uint8_t out[DNS_TSIG_MAC_MAX])
{
    struct dns_tsig__hmac h;
    uint8_t buf[DNS_NAME_MAXLEN];
    struct wbuf w;

    dns_tsig__hmac_init(&h, key);
    if (req_mac) {
        dns_tsig__hmac_u16(&h, (uint16_t)req_mac_len);
        dns_tsig__hmac_update(&h, req_mac, req_mac_len);
    }
    dns_tsig__hmac_u16(&h, t->orig_id);
    dns_tsig__hmac_update(&h, msg + 2, 8); /* flags, QDCOUNT, ANCOUNT, NSCOUNT */
    dns_tsig__hmac_u16(&h, arcount);
    dns_tsig__hmac_update(&h, msg + DNS_HDR_LEN, end - DNS_HDR_LEN);

    dns_tsig__hmac_update(&h, buf, dns_name_copy_lower(buf, t->key_name));
    wbuf_init(&w, buf, sizeof(buf));
    wbuf_u16(&w, DNS_CLASS_ANY);
    wbuf_u32(&w, 0); /* TTL */
    dns_tsig__hmac_update(&h, buf, w.pos);
    dns_tsig__hmac_update(&h, buf, dns_name_copy_lower(buf, t->alg_name));
    wbuf_init(&w, buf, sizeof(buf));
    wbuf_u16(&w, (uint16_t)(t->time_signed >> 32));
    wbuf_u32(&w, (uint32_t)t->time_signed);
    wbuf_u16(&w, t->fudge);
    wbuf_u16(&w, t->error);
    wbuf_u16(&w, t->other_len);
    wbuf_bytes(&w, t->other, t->other_len);
    dns_tsig__hmac_update(&h, buf, w.pos);
    dns_tsig__hmac_digest(&h, out);
}

/* ---- finding --------------------------------------------------------------------------- */

/* Parses the RDATA of a TSIG RR, which must fill `rd` exactly. */
static int dns_tsig__rdata(struct cursor *rd, struct dns_tsig_rr *out)
{
    size_t alg_len;

    /* The algorithm name must not be compressed (RFC 8945 4.2, RFC 3597 4). */
    if (dns_name_validate(rd->base + rd->pos, cursor_left(rd), &alg_len))
        return ERR_FORMAT;
    cursor_copy(rd, out->alg_name, alg_len);
    uint64_t high = cursor_u16(rd);
    out->time_signed = high << 32 | cursor_u32(rd);
    out->fudge = cursor_u16(rd);
    out->mac_len = cursor_u16(rd);
    if (out->mac_len > DNS_TSIG_MAC_MAX)
        return ERR_FORMAT;
    cursor_copy(rd, out->mac, out->mac_len);
    out->orig_id = cursor_u16(rd);
    out->error = cursor_u16(rd);
    out->other_len = cursor_u16(rd);
    if (out->other_len > DNS_TSIG_OTHER_MAX)
        return ERR_FORMAT;
    cursor_copy(rd, out->other, out->other_len);
    if (rd->err || cursor_left(rd))
        return ERR_FORMAT;
    return 0;
}

int dns_tsig_find(const uint8_t *msg, size_t len, struct dns_tsig_rr *out, bool *found)
{
    struct cursor c;
    struct dns_header h;
    struct dns_rr rr;
    int r;

    *found = false;
    cursor_init(&c, msg, len);
    if ((r = dns_msg_header(&c, &h)))
        return r;
    for (unsigned i = 0; i < h.qdcount; i++) {
        struct dns_question q;
        if ((r = dns_msg_question(&c, &q)))
            return r;
    }
    unsigned total = (unsigned)h.ancount + h.nscount + h.arcount;
    for (unsigned i = 0; i < total; i++) {
        size_t start = c.pos;
        if ((r = dns_msg_rr(&c, &rr)))
            return r;
        if (rr.type != DNS_TYPE_TSIG)
            continue;
        /* Last of the additional section, and the last bytes of the message. */
        if (h.arcount == 0 || i != total - 1 || c.pos != len)
            return ERR_FORMAT;
        if (rr.rclass != DNS_CLASS_ANY || rr.ttl != 0)
            return ERR_FORMAT;
        struct cursor rd;
        cursor_init(&rd, msg + rr.rdata_off, rr.rdlen);
        if ((r = dns_tsig__rdata(&rd, out)))
            return r;
        memcpy(out->key_name, rr.owner, rr.owner_len);
        out->offset = start;
        *found = true;
    }
    return 0;
}

/* ---- verifying ------------------------------------------------------------------------- */

static int dns_tsig__key_check(const struct dns_tsig_key *key)
{
    size_t name_len;
    if (!dns_tsig__alg_valid(key->alg) || (!key->secret && key->secret_len) || !key->name ||
        dns_name_validate(key->name, DNS_NAME_MAXLEN, &name_len))
        return ERR_RANGE;
    return 0;
}

int dns_tsig_verify(const uint8_t *msg, size_t len, const struct dns_tsig_rr *rr,
                    const struct dns_tsig_key *key, const uint8_t *req_mac, size_t req_mac_len,
                    uint64_t now, uint16_t *tsig_error)
{
    size_t name_len;
    enum dns_tsig_alg alg;
    uint8_t mac[DNS_TSIG_MAC_MAX];

    /* An rr that dns_tsig_find did not make for these bytes must not lead to reads out of
     * bounds. */
    if (rr->offset < DNS_HDR_LEN || rr->offset > len || rr->mac_len > DNS_TSIG_MAC_MAX ||
        rr->other_len > DNS_TSIG_OTHER_MAX ||
        dns_name_validate(rr->key_name, sizeof(rr->key_name), &name_len) ||
        dns_name_validate(rr->alg_name, sizeof(rr->alg_name), &name_len))
        return ERR_FORMAT;
    uint16_t arcount = (uint16_t)(msg[10] << 8 | msg[11]);
    if (arcount == 0)
        return ERR_FORMAT;
    if (key && dns_tsig__key_check(key))
        return ERR_RANGE;
    if (req_mac && req_mac_len > UINT16_MAX)
        return ERR_RANGE;

    /* 5.2.1: the key (already looked up by name) and its algorithm. */
    if (!key || dns_tsig_alg_from_name(rr->alg_name, &alg) || alg != key->alg ||
        !dns_name_equal(rr->key_name, key->name)) {
        *tsig_error = DNS_TSIG_BADKEY;
        return 0;
    }

    /* 5.2.2.1: a MAC longer than the hash, or shorter than the larger of 10 bytes and half
     * the hash, is a format error. */
    size_t full = dns_tsig__algs[alg].mac_size;
    size_t shortest = (full + 1) / 2 > 10 ? (full + 1) / 2 : 10;
    if (rr->mac_len > full || rr->mac_len < shortest)
        return ERR_FORMAT;

    /* 5.2.2: the MAC, over the first mac_len bytes when truncated. */
    dns_tsig__mac(key, req_mac, req_mac_len, msg, rr->offset, (uint16_t)(arcount - 1), rr, mac);
    if (!memeql_sec(mac, rr->mac, rr->mac_len)) {
        *tsig_error = DNS_TSIG_BADSIG;
        return 0;
    }

    /* 5.2.3: the time, inclusive at both ends. */
    uint64_t skew = now > rr->time_signed ? now - rr->time_signed : rr->time_signed - now;
    if (skew > rr->fudge) {
        *tsig_error = DNS_TSIG_BADTIME;
        return 0;
    }

    /* 5.2.4: our policy takes no truncated MAC. */
    *tsig_error = rr->mac_len < full ? DNS_TSIG_BADTRUNC : DNS_TSIG_NOERROR;
    return 0;
}

/* ---- signing --------------------------------------------------------------------------- */

/* Checks the arguments common to both writers. */
static int dns_tsig__check_msg(size_t len, size_t cap, uint64_t now)
{
    if (len < DNS_HDR_LEN || len > cap || now > DNS_TSIG__TIME_MAX)
        return ERR_RANGE;
    return 0;
}

/* Appends t as a TSIG RR, uncompressed, and counts it in ARCOUNT; t's names are valid and
 * msg[0, len) holds at least a header. */
static int dns_tsig__append(uint8_t *msg, size_t len, size_t cap, size_t *newlen,
                            const struct dns_tsig_rr *t)
{
    size_t owner_len = dns_name_len(t->key_name);
    size_t alg_len = dns_name_len(t->alg_name);
    size_t rdlen = alg_len + DNS_TSIG__FIXED_LEN + t->mac_len + t->other_len;
    size_t rrlen = owner_len + 10 + rdlen;
    uint16_t arcount = (uint16_t)(msg[10] << 8 | msg[11]);
    struct wbuf w;

    if (arcount == UINT16_MAX)
        return ERR_RANGE;
    if (cap - len < rrlen || len + rrlen > DNS_MSG_MAX)
        return ERR_SPACE;
    wbuf_init(&w, msg + len, rrlen);
    wbuf_bytes(&w, t->key_name, owner_len);
    wbuf_u16(&w, DNS_TYPE_TSIG);
    wbuf_u16(&w, DNS_CLASS_ANY);
    wbuf_u32(&w, 0);
    wbuf_u16(&w, (uint16_t)rdlen);
    wbuf_bytes(&w, t->alg_name, alg_len);
    wbuf_u16(&w, (uint16_t)(t->time_signed >> 32));
    wbuf_u32(&w, (uint32_t)t->time_signed);
    wbuf_u16(&w, t->fudge);
    wbuf_u16(&w, t->mac_len);
    wbuf_bytes(&w, t->mac, t->mac_len);
    wbuf_u16(&w, t->orig_id);
    wbuf_u16(&w, t->error);
    wbuf_u16(&w, t->other_len);
    wbuf_bytes(&w, t->other, t->other_len);
    if (w.err || w.pos != rrlen)
        return ERR_SPACE; /* cannot happen: the size was computed above */
    msg[10] = (uint8_t)((arcount + 1) >> 8);
    msg[11] = (uint8_t)(arcount + 1);
    *newlen = len + rrlen;
    return 0;
}

int dns_tsig_sign(uint8_t *msg, size_t len, size_t cap, size_t *newlen,
                  const struct dns_tsig_key *key, const uint8_t *req_mac, size_t req_mac_len,
                  uint64_t now, uint16_t fudge, uint16_t error, const uint8_t *other,
                  uint16_t other_len, uint8_t *mac_out, size_t *mac_len_out)
{
    struct dns_tsig_rr t;
    int r;

    if ((r = dns_tsig__check_msg(len, cap, now)) || (r = dns_tsig__key_check(key)))
        return r;
    if (other_len > DNS_TSIG_OTHER_MAX || (other_len && !other) ||
        (req_mac && req_mac_len > UINT16_MAX))
        return ERR_RANGE;

    memcpy(t.key_name, key->name, dns_name_len(key->name));
    memcpy(t.alg_name, dns_tsig__algs[key->alg].name, dns_name_len(dns_tsig__algs[key->alg].name));
    t.time_signed = now;
    t.fudge = fudge;
    t.orig_id = (uint16_t)(msg[0] << 8 | msg[1]);
    t.error = error;
    t.other_len = other_len;
    if (other_len)
        memcpy(t.other, other, other_len);
    t.mac_len = (uint16_t)dns_tsig__algs[key->alg].mac_size;
    dns_tsig__mac(key, req_mac, req_mac_len, msg, len, (uint16_t)(msg[10] << 8 | msg[11]), &t,
                  t.mac);
    if ((r = dns_tsig__append(msg, len, cap, newlen, &t)))
        return r;
    if (mac_out)
        memcpy(mac_out, t.mac, t.mac_len);
    if (mac_len_out)
        *mac_len_out = t.mac_len;
    return 0;
}

int dns_tsig_append_error(uint8_t *msg, size_t len, size_t cap, size_t *newlen,
                          const struct dns_tsig_rr *req, uint64_t now, uint16_t error)
{
    struct dns_tsig_rr t;
    size_t name_len;
    int r;

    if ((r = dns_tsig__check_msg(len, cap, now)))
        return r;
    if (dns_name_validate(req->key_name, sizeof(req->key_name), &name_len))
        return ERR_RANGE;
    memcpy(t.key_name, req->key_name, name_len);
    if (dns_name_validate(req->alg_name, sizeof(req->alg_name), &name_len))
        return ERR_RANGE;
    memcpy(t.alg_name, req->alg_name, name_len);
    t.time_signed = now;
    t.fudge = req->fudge;
    t.mac_len = 0;
    t.orig_id = (uint16_t)(msg[0] << 8 | msg[1]);
    t.error = error;
    t.other_len = 0;
    return dns_tsig__append(msg, len, cap, newlen, &t);
}
