/*
 * Response rate limiting, after BIND 9's RRL (and Vixie and Schryver's design it comes from).
 *
 * Why: a UDP source address can be forged, so an authoritative server answering at full
 * speed reflects (and amplifies) a flood onto whoever the attacker names. RRL notices that
 * one client prefix is getting the same response over and over and stops sending most of
 * them. A real client behind that prefix still gets an answer: every `slip`-th limited
 * response goes out truncated (TC=1, no records), which costs the victim nothing and makes a
 * real resolver retry over TCP, where the address is proven.
 *
 * What is counted. A bucket is one (client prefix, response kind, what the response is
 * about) key: the prefix is the source masked to v4_prefix or v6_prefix bits (an IPv4-mapped
 * IPv6 source counts as IPv4, so a dual-stack socket does not give a client a second set of
 * buckets); what it is about is the lower-cased qname and qtype for answers, NODATA and
 * referrals, the zone apex for NXDOMAIN (so a flood of random names in one zone shares a
 * bucket, as BIND does) and nothing for errors. The key is hashed with SipHash under a key
 * drawn at start, so an attacker cannot aim many keys at one table line to push a victim's
 * bucket out.
 *
 * The bucket is a token bucket: each second adds `rate` tokens up to `rate`, each response
 * takes one, and a response that leaves the balance negative is limited. The balance may
 * sink to -rate*window (BIND's `window`), so a flood has to stop for up to `window` seconds
 * before its target is answered again; a client that merely went over for a moment is
 * answered again the next second.
 *
 * The table. Every UDP worker checks every response, so the table is shared and lock-free:
 * RRL_SLOTS 64-bit words, 8 to a 64-byte line. One word is a whole bucket:
 *     bits 63..42  fingerprint (22 bits of the hash; 0 means an empty slot)
 *     bits 41..24  the second of the last update, modulo 2^18 (three days)
 *     bits 23..0   the balance, two's complement (-2^23 .. 2^23-1)
 * so one compare-and-swap updates it and no reader ever sees half a bucket. A key's line
 * comes from the low hash bits; its slot is the one in that line with its fingerprint, or on
 * a miss the empty or stalest one, which the new bucket replaces (an evicted bucket starts
 * again full, so a full table can only let responses through, never hold them back). A CAS
 * that loses a race is retried a few times and then the response passes: failing open is
 * right for a limiter. Two workers missing on the same key at once may each insert it; the
 * spare ages out. Workers stamp times from their own batch clock, so a word may carry a
 * second a little ahead of the caller's: that counts as no time passed.
 *
 * The balance is clamped to 24 bits: with rate * window above 2^23 (8 million) the debt is
 * capped there, which only shortens the penalty of enormous configured rates.
 *
 * Memory: the table is mmap'd on first use (zero pages, backed as slots are touched) by
 * whichever worker first sees a limited kind, published with one CAS (a loser unmaps its
 * own), and never shrinks. A server that never enables RRL never maps it.
 */
#include "net/rrl.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "util/cidr.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/siphash.h"

#define RRL_LINE  8u /* slots in a 64-byte cache line */
#define RRL_LINES (RRL_SLOTS / RRL_LINE)

#define RRL_BAL_BITS 24
#define RRL_TS_BITS  18
#define RRL_FP_BITS  22
#define RRL_BAL_MASK ((UINT64_C(1) << RRL_BAL_BITS) - 1)
#define RRL_TS_MASK  ((UINT64_C(1) << RRL_TS_BITS) - 1)
#define RRL_BAL_MAX  ((INT64_C(1) << (RRL_BAL_BITS - 1)) - 1)
#define RRL_BAL_MIN  (-(INT64_C(1) << (RRL_BAL_BITS - 1)))
/* A stamp up to this many seconds ahead of the caller's clock is another worker's newer
 * batch time, not an old one that wrapped. */
#define RRL_SKEW    64u
#define RRL_RETRIES 8

_Static_assert(RRL_BAL_BITS + RRL_TS_BITS + RRL_FP_BITS == 64, "an RRL slot is one word");
_Static_assert((RRL_SLOTS & (RRL_SLOTS - 1)) == 0 && RRL_SLOTS >= RRL_LINE,
               "RRL_SLOTS is a power of two");

struct rrl {
    uint8_t key[16];                   /* SipHash key, random per process */
    _Atomic(_Atomic uint64_t *) table; /* RRL_SLOTS words, or NULL until first needed */
};

int rrl_new(struct rrl **out)
{
    struct rrl *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    if (getrandom(r->key, sizeof(r->key), 0) != (ssize_t)sizeof(r->key)) {
        int e = errno ? errno : EIO;
        free(r);
        return -e;
    }
    atomic_init(&r->table, NULL);
    *out = r;
    return 0;
}

void rrl_free(struct rrl *r)
{
    if (!r)
        return;
    _Atomic uint64_t *t = atomic_load_explicit(&r->table, memory_order_acquire);
    if (t)
        munmap((void *)t, RRL_SLOTS * sizeof(*t));
    free(r);
}

/* The table, mapped by the first caller that needs it. Zero pages need no initialisation,
 * so publishing the pointer is all there is; acquire/release orders nothing else. */
static _Atomic uint64_t *rrl__table(struct rrl *r)
{
    _Atomic uint64_t *t = atomic_load_explicit(&r->table, memory_order_acquire);
    if (t)
        return t;
    void *p = mmap(NULL, RRL_SLOTS * sizeof(*t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    _Atomic uint64_t *mine = p, *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(&r->table, &expected, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    munmap(p, RRL_SLOTS * sizeof(*t));
    return expected;
}

int rrl_kind(const struct query_info *info, const uint8_t *resp, size_t len)
{
    switch (info->outcome) {
    case QUERY_OUTCOME_DROP:
    case QUERY_OUTCOME_FORWARD:
    case QUERY_OUTCOME_UPDATE:
        return -1;
    default:
        break;
    }
    if (len < DNS_HDR_LEN)
        return -1;
    if (info->rcode == DNS_RCODE_NXDOMAIN)
        return RRL_KIND_NXDOMAIN;
    if (info->outcome == QUERY_OUTCOME_REFERRAL)
        return RRL_KIND_REFERRAL;
    if (info->rcode != DNS_RCODE_NOERROR)
        return RRL_KIND_ERROR;
    return (resp[6] | resp[7]) == 0 ? RRL_KIND_NODATA : RRL_KIND_ANSWER;
}

bool rrl_exempt(const struct snap_rrl *cfg, const struct sockaddr *peer,
                const struct query_info *info)
{
    if (info->cookie == QUERY_COOKIE_VALID)
        return true;
    return cfg->nexempt && cidr_match(cfg->exempt, cfg->nexempt, peer);
}

/* Writes the client prefix (family byte, then the masked address) to `out`; returns its
 * length, or 0 for an address family we do not limit. */
static size_t rrl__prefix(const struct snap_rrl *cfg, const struct sockaddr *peer, uint8_t *out)
{
    const uint8_t *a;
    unsigned bits, size;
    if (peer->sa_family == AF_INET) {
        a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
        size = 4;
        bits = cfg->v4_prefix;
    } else if (peer->sa_family == AF_INET6) {
        const struct in6_addr *in6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(in6)) {
            a = in6->s6_addr + 12;
            size = 4;
            bits = cfg->v4_prefix;
        } else {
            a = in6->s6_addr;
            size = 16;
            bits = cfg->v6_prefix;
        }
    } else {
        return 0;
    }
    if (bits > size * 8)
        bits = size * 8;
    out[0] = size == 4 ? 4 : 6;
    memcpy(out + 1, a, size);
    for (unsigned i = bits; i < size * 8; i++)
        out[1 + i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return 1 + size;
}

/* The bucket's hash: prefix, kind and, by kind, the name and type the response is about. */
static uint64_t rrl__hash(const struct rrl *r, const uint8_t *prefix, size_t plen, int kind,
                          const struct query_info *info)
{
    uint8_t key[1 + 16 + 1 + 2 + DNS_NAME_MAXLEN];
    size_t n = 0;
    memcpy(key, prefix, plen);
    n += plen;
    key[n++] = (uint8_t)kind;
    if (kind == RRL_KIND_NXDOMAIN) {
        /* Without a zone (cannot happen for an NXDOMAIN from our data) the qname stands in. */
        const uint8_t *zone = info->neg_zone       ? info->neg_zone
                              : info->has_question ? info->qname
                                                   : NULL;
        if (zone)
            n += dns_name_copy_lower(key + n, zone);
    } else if (kind != RRL_KIND_ERROR && info->has_question) {
        key[n++] = (uint8_t)(info->qtype >> 8);
        key[n++] = (uint8_t)info->qtype;
        n += dns_name_copy_lower(key + n, info->qname);
    }
    return siphash24(r->key, key, n);
}

static inline uint64_t rrl__fp(uint64_t w)
{
    return w >> (RRL_BAL_BITS + RRL_TS_BITS);
}

static inline uint32_t rrl__ts(uint64_t w)
{
    return (uint32_t)((w >> RRL_BAL_BITS) & RRL_TS_MASK);
}

static inline int64_t rrl__bal(uint64_t w)
{
    int64_t b = (int64_t)(w & RRL_BAL_MASK);
    return b > RRL_BAL_MAX ? b - (INT64_C(1) << RRL_BAL_BITS) : b;
}

static inline uint64_t rrl__pack(uint64_t fp, uint32_t now, int64_t bal)
{
    return fp << (RRL_BAL_BITS + RRL_TS_BITS) | ((uint64_t)now & RRL_TS_MASK) << RRL_BAL_BITS |
           ((uint64_t)bal & RRL_BAL_MASK);
}

/* Seconds from the stamp to now; 0 for a stamp slightly ahead (another worker's later
 * batch), whose word then keeps its stamp. */
static inline uint32_t rrl__age(uint32_t now, uint32_t ts, bool *ahead)
{
    uint32_t d = (uint32_t)((now - ts) & RRL_TS_MASK);
    *ahead = d > RRL_TS_MASK - RRL_SKEW;
    return *ahead ? 0 : d;
}

/* One response against one bucket. Returns the balance after it (negative: limited). */
static int64_t rrl__take(_Atomic uint64_t *table, uint64_t h, uint32_t rate, uint32_t window,
                         uint32_t now)
{
    _Atomic uint64_t *line = table + (h & (RRL_LINES - 1)) * RRL_LINE;
    uint64_t fp = h >> (64 - RRL_FP_BITS);
    if (!fp)
        fp = 1; /* 0 marks an empty slot */
    int64_t cap = rate > RRL_BAL_MAX ? RRL_BAL_MAX : (int64_t)rate;
    int64_t floor = -(int64_t)rate * (int64_t)window;
    if (floor < RRL_BAL_MIN)
        floor = RRL_BAL_MIN;
    for (int attempt = 0; attempt < RRL_RETRIES; attempt++) {
        /* The key's slot, else the slot to take over: an empty one, else the stalest. */
        unsigned slot = RRL_LINE;
        uint64_t w = 0, victim_w = 0;
        unsigned victim = 0;
        uint32_t victim_age = 0;
        bool ahead = false;
        for (unsigned i = 0; i < RRL_LINE; i++) {
            w = atomic_load_explicit(&line[i], memory_order_relaxed);
            if (w && rrl__fp(w) == fp) {
                slot = i;
                break;
            }
            uint32_t age = w ? rrl__age(now, rrl__ts(w), &ahead) : UINT32_MAX;
            if (i == 0 || age > victim_age) {
                victim = i;
                victim_w = w;
                victim_age = age;
            }
        }
        int64_t bal;
        if (slot < RRL_LINE) {
            uint32_t age = rrl__age(now, rrl__ts(w), &ahead);
            bal = rrl__bal(w) + (int64_t)age * (int64_t)rate;
            if (bal > cap)
                bal = cap;
            bal--;
            uint64_t neww = rrl__pack(fp, ahead ? rrl__ts(w) : now, bal < floor ? floor : bal);
            if (atomic_compare_exchange_strong_explicit(&line[slot], &w, neww, memory_order_relaxed,
                                                        memory_order_relaxed))
                return bal;
        } else {
            bal = cap - 1;
            if (atomic_compare_exchange_strong_explicit(&line[victim], &victim_w,
                                                        rrl__pack(fp, now, bal),
                                                        memory_order_relaxed, memory_order_relaxed))
                return bal;
        }
    }
    return 0; /* lost every race: let it through */
}

enum rrl_verdict rrl_check(struct rrl *r, const struct snap_rrl *cfg, const struct sockaddr *peer,
                           const struct query_info *info, const uint8_t *resp, size_t len,
                           uint32_t now, unsigned *slip_count)
{
    if (!r || !peer)
        return RRL_PASS;
    int kind = rrl_kind(info, resp, len);
    if (kind < 0 || cfg->rate[kind] == 0 || rrl_exempt(cfg, peer, info))
        return RRL_PASS;
    uint8_t prefix[17];
    size_t plen = rrl__prefix(cfg, peer, prefix);
    if (!plen)
        return RRL_PASS;
    _Atomic uint64_t *table = rrl__table(r);
    if (!table)
        return RRL_PASS; /* out of memory: unlimited rather than silent */
    uint64_t h = rrl__hash(r, prefix, plen, kind, info);
    if (rrl__take(table, h, cfg->rate[kind], cfg->window, now) >= 0)
        return RRL_PASS;
    /* An extended RCODE (BADVERS, BADCOOKIE) lives in the OPT record, which a slipped
     * response loses: it would reach the client as a different RCODE, so it is dropped. */
    if (cfg->slip == 0 || info->rcode > 0xf)
        return RRL_DROP;
    if (++*slip_count < cfg->slip)
        return RRL_DROP;
    *slip_count = 0;
    return RRL_SLIP;
}

int rrl_slip(uint8_t *buf, size_t len, size_t *out_len)
{
    struct cursor c;
    struct dns_header h;
    cursor_init(&c, buf, len);
    if (dns_msg_header(&c, &h))
        return ERR_TRUNC;
    /* Our responses carry at most one question; anything else is not one of ours. */
    if (h.qdcount > 1)
        return ERR_SYNTAX;
    if (h.qdcount == 1) {
        struct dns_question q;
        int e = dns_msg_question(&c, &q);
        if (e)
            return e;
    }
    size_t n = c.pos;
    /* The OPT record stays (RFC 6891: an EDNS query gets an OPT back): it carries the
     * extended RCODE, the DO bit and, for a client that sent a cookie, the server cookie,
     * which lets the client's next query over UDP through unlimited. It is the last record
     * we write; records that do not parse are simply not kept. */
    size_t opt_off = 0, opt_len = 0;
    unsigned nrr = (unsigned)h.ancount + h.nscount + h.arcount;
    for (unsigned i = 0; i < nrr; i++) {
        size_t start = c.pos;
        struct dns_rr rr;
        if (dns_msg_rr(&c, &rr))
            break;
        if (rr.type == DNS_TYPE_OPT && i >= (unsigned)h.ancount + h.nscount) {
            opt_off = start;
            opt_len = c.pos - start;
            break;
        }
    }
    uint16_t flags = (uint16_t)(h.flags | DNS_FLAG_TC);
    buf[2] = (uint8_t)(flags >> 8);
    buf[3] = (uint8_t)flags;
    memset(buf + 6, 0, 6);
    if (opt_len) {
        memmove(buf + n, buf + opt_off, opt_len);
        buf[11] = 1;
        n += opt_len;
    }
    *out_len = n;
    return 0;
}
