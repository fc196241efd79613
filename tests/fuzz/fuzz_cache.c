/*
 * Fuzz target: any bytes as an upstream's reply to the forwarder (cache_msg_new), then the
 * kept message rendered for several clients (cache_msg_render) and stored in and answered
 * from the cache (cache_store, cache_answer, cache_flush).
 *
 * Input: byte 0 picks the question (one of a few fixed ones, or the reply's own question so
 * that the fuzzer gets past the "answers this question" check) and the client's header
 * flags; byte 1 picks an elapsed time; the rest is the reply.
 *
 * Oracle, for every rendering: a well-formed message within the client's limit and the
 * buffer, the client's ID and its question (in its case), RA set, AA clear, the reply's
 * RCODE; either TC with no records, or exactly the reply's records (less OPT, TSIG, SIG) in
 * their sections with their RDATA and their TTLs counted down by the elapsed time; our OPT
 * last when the client sent EDNS, no OPT otherwise. A reply with an extended RCODE in its
 * OPT is refused.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "cache/cache.h"
#include "cache/msg.h"
#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rdata.h"

#define FUZZ_MAX_TTL 86400u

struct fuzz_q {
    const uint8_t *name;
    uint16_t type;
};

static const struct fuzz_q fuzz_questions[] = {
    {(const uint8_t *)"\3www\7example\3com", DNS_TYPE_A},
    {(const uint8_t *)"\3www\7example\3com", DNS_TYPE_AAAA},
    {(const uint8_t *)"\5alias\7example\3com", DNS_TYPE_A},
    {(const uint8_t *)"\7example\3com", DNS_TYPE_SOA},
    {(const uint8_t *)"", DNS_TYPE_NS},
};
#define FUZZ_NQ (sizeof(fuzz_questions) / sizeof(fuzz_questions[0]))

static struct cache *fuzz_cache;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rcu_register_thread();
    fuzz_cache = cache_new(1);
    if (!fuzz_cache)
        abort();
    return 0;
}

/* The record as the renderer must have written it: owner, type, class, TTL and the RDATA
 * in uncompressed wire form. */
struct fuzz_rr {
    struct dns_rr rr;
    uint8_t rd[65535];
    size_t rdlen;
};

static bool fuzz_read_rr(struct cursor *c, struct fuzz_rr *f)
{
    if (dns_msg_rr(c, &f->rr))
        return false;
    struct cursor rc = *c;
    struct wbuf out;
    rc.pos = f->rr.rdata_off;
    wbuf_init(&out, f->rd, sizeof(f->rd));
    if (f->rr.type != DNS_TYPE_OPT && dns_rdata_unpack(f->rr.type, &rc, f->rr.rdlen, &out))
        return false;
    f->rdlen = out.pos;
    return true;
}

static struct fuzz_rr fuzz_want, fuzz_got;

/*
 * Same RDATA? Names in it may point into the question, which the renderer writes in the
 * client's case, so they may come back in another case: when the bytes differ, they must
 * differ in ASCII case only (names compare case-insensitively; RFC 4034 6.2 lower-cases the
 * names of every type whose RDATA names may be compressed).
 */
static bool fuzz_rd_equal(const struct fuzz_rr *a, const struct fuzz_rr *b)
{
    if (a->rdlen != b->rdlen)
        return false;
    for (size_t i = 0; i < a->rdlen; i++)
        if (a->rd[i] != b->rd[i] && dns_lower(a->rd[i]) != dns_lower(b->rd[i]))
            return false;
    return true;
}

/*
 * Checks one rendering. `ttl_exact`: TTLs must be the reply's less `elapsed` (a cache answer
 * counts its own elapsed time, so there they may only be lower).
 */
static void fuzz_check(const uint8_t *reply, size_t reply_len, const struct cache_msg *m,
                       const struct cache_client *cl, uint32_t elapsed, bool ttl_exact,
                       const uint8_t *out, int len, size_t cap)
{
    size_t limit = cl->limit < cap ? cl->limit : cap;
    size_t opt = cl->edns ? 11 : 0;
    size_t qlen = dns_name_len(cl->qname);
    if (len < 0) {
        /* Only a client that cannot take even the question may be refused. */
        if (len != ERR_SPACE || (cap >= DNS_UDP_MIN && limit >= DNS_HDR_LEN + qlen + 4 + opt))
            abort();
        return;
    }
    if (cap < DNS_UDP_MIN || (size_t)len > limit || (size_t)len < DNS_HDR_LEN)
        abort();

    struct cursor c;
    struct dns_header h;
    struct dns_question q;
    cursor_init(&c, out, (size_t)len);
    if (dns_msg_header(&c, &h) || h.id != cl->id || h.qdcount != 1)
        abort();
    uint16_t must = DNS_FLAG_QR | DNS_FLAG_RA | (cl->flags & (DNS_FLAG_RD | DNS_FLAG_CD));
    if ((h.flags & must) != must || (h.flags & DNS_FLAG_AA) || DNS_RCODE(h.flags) != m->rcode ||
        DNS_OPCODE(h.flags) != DNS_OPCODE_QUERY)
        abort();
    size_t qpos = c.pos;
    if (dns_msg_question(&c, &q) || q.name_len != qlen || c.pos != qpos + qlen + 4 ||
        memcmp(out + qpos, cl->qname, qlen) != 0)
        abort();

    struct cursor rc;
    struct dns_header rh;
    struct dns_question rq;
    cursor_init(&rc, reply, reply_len);
    if (dns_msg_header(&rc, &rh) || dns_msg_question(&rc, &rq))
        abort(); /* cache_msg_new took it */
    if (q.qtype != rq.qtype || q.qclass != rq.qclass || !dns_name_equal(q.name, rq.name))
        abort();

    bool tc = (h.flags & DNS_FLAG_TC) != 0;
    if (tc != (m->len + opt > limit))
        abort();
    if (tc && (h.ancount || h.nscount))
        abort();

    /* The records: the reply's, in order, section by section. */
    unsigned got_counts[3] = {h.ancount, h.nscount, h.arcount};
    unsigned want_counts[3] = {rh.ancount, rh.nscount, rh.arcount};
    for (int s = 0; s < 3; s++) {
        unsigned g = 0;
        for (unsigned i = 0; !tc && i < want_counts[s]; i++) {
            if (!fuzz_read_rr(&rc, &fuzz_want))
                abort(); /* cache_msg_new took it */
            uint16_t t = fuzz_want.rr.type;
            if (t == DNS_TYPE_OPT && (fuzz_want.rr.ttl >> 24) != 0)
                abort(); /* an extended RCODE: not an answer */
            if (t == DNS_TYPE_OPT || t == DNS_TYPE_TSIG || t == DNS_TYPE_SIG)
                continue;
            if (g++ >= got_counts[s] || !fuzz_read_rr(&c, &fuzz_got))
                abort();
            uint32_t ttl = fuzz_want.rr.ttl > DNS_TTL_MAX ? 0 : fuzz_want.rr.ttl;
            ttl = ttl > elapsed ? ttl - elapsed : 0;
            if (!dns_name_equal(fuzz_got.rr.owner, fuzz_want.rr.owner) || fuzz_got.rr.type != t ||
                fuzz_got.rr.rclass != fuzz_want.rr.rclass ||
                (ttl_exact ? fuzz_got.rr.ttl != ttl : fuzz_got.rr.ttl > ttl) ||
                !fuzz_rd_equal(&fuzz_got, &fuzz_want))
                abort();
        }
        /* What remains is our OPT, last in the additional section, or nothing. */
        unsigned extra = s == 2 && cl->edns ? 1 : 0;
        if (got_counts[s] != g + extra)
            abort();
    }
    if (cl->edns) {
        if (!fuzz_read_rr(&c, &fuzz_got) || fuzz_got.rr.type != DNS_TYPE_OPT ||
            fuzz_got.rr.owner_len != 1 || fuzz_got.rr.rclass != cl->payload ||
            ((fuzz_got.rr.ttl & 0x8000u) != 0) != cl->do_bit || fuzz_got.rr.rdlen != 0)
            abort();
    }
    if (c.pos != (size_t)len)
        abort();
}

/* The question name as a client might have written it: some letters upper-cased. */
static void fuzz_client_case(uint8_t *dst, const uint8_t *lname, uint8_t seed)
{
    size_t len = dns_name_len(lname);
    memcpy(dst, lname, len);
    unsigned bit = 0;
    for (size_t i = 0; dst[i]; i += 1u + dst[i]) {
        for (size_t k = 1; k <= dst[i]; k++) {
            uint8_t ch = dst[i + k];
            if (ch >= 'a' && ch <= 'z' && (seed >> (bit++ % 8)) & 1)
                dst[i + k] = (uint8_t)(ch - 'a' + 'A');
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[65535];
    if (!fuzz_cache)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 2)
        return 0;
    uint8_t sel = data[0], esel = data[1];
    const uint8_t *reply = data + 2;
    size_t reply_len = size - 2;

    /* The question. */
    uint8_t lname[DNS_NAME_MAXLEN], qname[DNS_NAME_MAXLEN];
    uint16_t qtype, qclass = DNS_CLASS_IN;
    if ((sel & 7) < FUZZ_NQ) {
        const struct fuzz_q *fq = &fuzz_questions[sel & 7];
        memcpy(lname, fq->name, dns_name_len(fq->name));
        qtype = fq->type;
    } else {
        struct cursor c;
        struct dns_header h;
        struct dns_question q;
        cursor_init(&c, reply, reply_len);
        if (dns_msg_header(&c, &h) || dns_msg_question(&c, &q))
            return 0;
        dns_name_copy_lower(lname, q.name);
        qtype = q.qtype;
        qclass = q.qclass;
    }
    fuzz_client_case(qname, lname, sel);

    struct cache_msg *m = NULL;
    if (cache_msg_new(reply, reply_len, lname, qtype, qclass, FUZZ_MAX_TTL, &m))
        return 0;
    if (m->lifetime > FUZZ_MAX_TTL)
        abort();

    uint16_t flags = (uint16_t)((sel & 0x08 ? DNS_FLAG_RD : 0) | (sel & 0x10 ? DNS_FLAG_CD : 0) |
                                (sel & 0x20 ? DNS_FLAG_AD : 0));
    const struct cache_client clients[] = {
        /* UDP without EDNS. */
        {.id = 0x1234, .flags = flags, .qname = qname, .limit = DNS_UDP_MIN},
        /* UDP with EDNS and DO, a common payload size. */
        {.id = 0xbeef,
         .flags = flags | DNS_FLAG_RD,
         .qname = qname,
         .edns = true,
         .do_bit = true,
         .limit = 1232,
         .payload = 1232},
        /* EDNS with a limit below 512 (and, with the input, around the question's size). */
        {.id = 0,
         .flags = flags,
         .qname = qname,
         .edns = true,
         .limit = 64 + (esel & 0x7f),
         .payload = 512},
        /* TCP. */
        {.id = 0xffff,
         .flags = flags,
         .qname = qname,
         .edns = (sel & 0x40) != 0,
         .do_bit = (sel & 0x80) != 0,
         .limit = DNS_MSG_MAX,
         .payload = 4096},
    };
    const uint32_t elapsed[] = {0, esel, m->lifetime + 1, UINT32_MAX};
    const size_t caps[] = {sizeof(out), DNS_UDP_MIN, DNS_UDP_MIN - 1};
    for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
        for (size_t e = 0; e < sizeof(elapsed) / sizeof(elapsed[0]); e++) {
            size_t cap = caps[(i + e) % 3];
            int len = cache_msg_render(m, &clients[i], elapsed[e], out, cap);
            fuzz_check(reply, reply_len, m, &clients[i], elapsed[e], true, out, len, cap);
        }
    }

    /* Through the cache: kept when it has a lifetime, then flushed, so that every input frees
     * what it allocated (replacement and eviction free after a grace period, which would turn
     * libFuzzer's leak check off). */
    struct cache_key k = {.type = qtype, .rclass = qclass, .do_bit = (sel & 0x80) != 0};
    k.name_len = (uint8_t)dns_name_copy_lower(k.name, lname);
    if (!cache_store(fuzz_cache, &k, m)) {
        if (m->lifetime)
            abort();
        cache_msg_free(m);
        return 0;
    }
    const struct cache_client *cl = &clients[sel % 4];
    struct cache_stats st = {0};
    rcu_read_lock();
    int len = cache_answer(fuzz_cache, &k, cl, out, sizeof(out), &st);
    if (len <= 0) {
        /* A miss only for a client that cannot take the message at all (the entry was
         * just stored, with a lifetime of at least a second). */
        if (st.hits || cache_msg_render(m, cl, 0, out, sizeof(out)) >= 0)
            abort();
    } else {
        if (st.hits != 1)
            abort();
        fuzz_check(reply, reply_len, m, cl, 0, false, out, len, sizeof(out));
    }
    rcu_read_unlock();
    cache_flush(fuzz_cache);
    return 0;
}
