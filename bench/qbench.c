/*
 * In-process micro-benchmark of the hot path: query_process() on prepared packets, no
 * sockets. Serves bench/internal.lan.zone (the zone of ../shared/bench) plus EXTRA names
 * (www0..wwwN, so that the name index is not trivially small) and reports, per query kind,
 * the median, the 10th and the 90th percentile of ns per query over ROUNDS rounds of
 * PER_ROUND queries each, with the arena reset after every query as the UDP worker does.
 *
 *   build/bench/qbench [ZONE_FILE [EXTRA_NAMES]]
 *
 * One thread, on whatever core the kernel gives it (pin it with taskset for steadier
 * figures). Prints a markdown table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "query/query.h"
#include "util/arena.h"
#include "util/wbuf.h"
#include "zone/snap.h"

#define ROUNDS    201
#define PER_ROUND 2000

struct bcase {
    const char *label;
    const char *name;
    uint16_t qtype;
    int edns; /* 0: no OPT (as dnsperf sends by default) */
    uint8_t want_rcode;
    bool want_aa;
};

static const struct bcase cases[] = {
    {"A hit (www, 2 A)", "www.internal.lan.", DNS_TYPE_A, 0, DNS_RCODE_NOERROR, true},
    {"A hit, EDNS 1232", "www.internal.lan.", DNS_TYPE_A, 1232, DNS_RCODE_NOERROR, true},
    {"A hit, 1 of EXTRA names", "www77777.internal.lan.", DNS_TYPE_A, 0, DNS_RCODE_NOERROR,
     true},
    {"NODATA (mail2 AAAA)", "mail2.internal.lan.", DNS_TYPE_AAAA, 0, DNS_RCODE_NOERROR, true},
    {"NXDOMAIN", "nope-1234.internal.lan.", DNS_TYPE_A, 0, DNS_RCODE_NXDOMAIN, true},
    {"wildcard (x.app)", "host42.app.internal.lan.", DNS_TYPE_A, 0, DNS_RCODE_NOERROR, true},
    {"CNAME chase (alias2>api>www)", "alias2.internal.lan.", DNS_TYPE_A, 0, DNS_RCODE_NOERROR,
     true},
    {"referral (sub, glue)", "host.sub.internal.lan.", DNS_TYPE_A, 0, DNS_RCODE_NOERROR, false},
    {"MX at apex", "internal.lan.", DNS_TYPE_MX, 0, DNS_RCODE_NOERROR, true},
};

static size_t build_query(const struct bcase *c, uint8_t *buf, size_t cap)
{
    struct wbuf w;
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nlen;
    if (dns_name_from_text(c->name, strlen(c->name), NULL, name, &nlen) != 0) {
        fprintf(stderr, "qbench: bad name %s\n", c->name);
        exit(2);
    }
    wbuf_init(&w, buf, cap);
    wbuf_u16(&w, 0x1234);
    wbuf_u16(&w, 0); /* no RD: an authoritative query */
    wbuf_u16(&w, 1);
    wbuf_u16(&w, 0);
    wbuf_u16(&w, 0);
    wbuf_u16(&w, c->edns ? 1 : 0);
    wbuf_bytes(&w, name, nlen);
    wbuf_u16(&w, c->qtype);
    wbuf_u16(&w, DNS_CLASS_IN);
    if (c->edns) {
        wbuf_u8(&w, 0);
        wbuf_u16(&w, DNS_TYPE_OPT);
        wbuf_u16(&w, (uint16_t)c->edns);
        wbuf_u8(&w, 0);
        wbuf_u8(&w, 0);
        wbuf_u16(&w, 0);
        wbuf_u16(&w, 0);
    }
    return w.pos;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static struct snap *load(const char *zone_file, long extra)
{
    /* The config names the zone file and adds EXTRA A records through JSON. */
    size_t cap = 256 + strlen(zone_file) + (size_t)extra * 80;
    char *json = malloc(cap);
    if (!json)
        exit(2);
    size_t n = (size_t)snprintf(json, cap,
                                "{\"server\": {\"log_queries\": false, \"upstream\": []},"
                                " \"zones\": {\"internal.lan\": {\"file\": \"%s\"}},"
                                " \"records\": [",
                                zone_file);
    for (long i = 0; i < extra; i++)
        n += (size_t)snprintf(json + n, cap - n,
                              "%s{\"name\": \"www%ld.internal.lan\", \"type\": \"A\","
                              " \"value\": \"10.%ld.%ld.%ld\"}",
                              i ? "," : "", i, (i >> 16) & 255, (i >> 8) & 255, i & 255);
    n += (size_t)snprintf(json + n, cap - n, "]}");
    struct conf_diag d;
    struct conf *c = NULL;
    struct snap *s = NULL;
    conf_diag_init(&d);
    int r = conf_load("qbench.json", (const uint8_t *)json, n, NULL, &c, &s, &d);
    for (size_t i = 0; i < d.n; i++)
        if (d.msgs[i].error)
            fprintf(stderr, "qbench: %s\n", d.msgs[i].text);
    conf_diag_deinit(&d);
    free(json);
    if (r != 0 || !s) {
        fprintf(stderr, "qbench: cannot load the config (%d)\n", r);
        exit(2);
    }
    conf_free(c);
    return s;
}

int main(int argc, char **argv)
{
    const char *zone_file = argc > 1 ? argv[1] : "bench/internal.lan.zone";
    long extra = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
    if (extra < 0 || extra > 5000000) {
        fprintf(stderr, "usage: qbench [ZONE_FILE [EXTRA_NAMES (0-5000000)]]\n");
        return 2;
    }
    struct snap *s = load(zone_file, extra);
    static _Alignas(16) uint8_t arena_mem[16384];
    static uint8_t rbuf[4096];
    struct arena arena;
    arena_init_fixed(&arena, arena_mem, sizeof(arena_mem));

    printf("in-process query_process, %zu names, %d rounds x %d queries, ns per query\n\n",
           s->names.count, ROUNDS, PER_ROUND);
    printf("| query | median ns | p10 ns | p90 ns | reply bytes |\n|---|---:|---:|---:|---:|\n");
    int bad = 0;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const struct bcase *c = &cases[k];
        uint8_t qbuf[512];
        size_t qlen = build_query(c, qbuf, sizeof(qbuf));
        struct query_req req = {.buf = qbuf, .len = qlen, .proto = QUERY_PROTO_UDP};
        struct query_info info;
        struct query_resp resp = {.buf = rbuf, .cap = sizeof(rbuf)};
        query_process(s, &req, &resp, &arena, &info);
        arena_reset(&arena);
        bool aa = resp.len >= DNS_HDR_LEN && (rbuf[2] & 0x04);
        if (resp.len < DNS_HDR_LEN || (rbuf[3] & 0xf) != c->want_rcode || aa != c->want_aa) {
            fprintf(stderr, "qbench: %s: unexpected reply (len %zu rcode %d aa %d)\n", c->label,
                    resp.len, resp.len >= DNS_HDR_LEN ? rbuf[3] & 0xf : -1, aa);
            bad = 1;
            continue;
        }
        size_t rlen = resp.len;
        for (int i = 0; i < 20000; i++) { /* warm caches and branch predictors */
            resp.len = 0;
            query_process(s, &req, &resp, &arena, &info);
            arena_reset(&arena);
        }
        double per[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            uint64_t t0 = now_ns();
            for (int i = 0; i < PER_ROUND; i++) {
                resp.len = 0;
                query_process(s, &req, &resp, &arena, &info);
                arena_reset(&arena);
            }
            per[r] = (double)(now_ns() - t0) / PER_ROUND;
        }
        qsort(per, ROUNDS, sizeof(per[0]), cmp_double);
        printf("| %s | %.0f | %.0f | %.0f | %zu |\n", c->label, per[ROUNDS / 2], per[ROUNDS / 10],
               per[ROUNDS * 9 / 10], rlen);
    }
    snap_free(s);
    return bad;
}
