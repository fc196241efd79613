/*
 * Fuzz target: any bytes as a DNS request to query_process, over UDP and TCP, against a
 * snapshot with every kind of data (wildcards, CNAME chains and loops, a delegation with
 * glue, rewrites, data outside zones), with DNS cookies required (server.cookies "require",
 * the client an IPv4 address over UDP and an IPv6 one over TCP). Oracle: every response must be a well-formed
 * message within the size limit whose records all parse, and must echo the request ID.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/rdata.h"
#include "query/query.h"
#include "zone/snap.h"

static struct snap *fuzz_snap;

static const char fuzz_config[] =
    "{\"server\": {\"udp_max_payload\": 1232, \"cookies\": \"require\","
    "            \"cookie_secret\": \"000102030405060708090a0b0c0d0e0f\"},"
    " \"zones\": {\"example.test\": {\"ns\": [\"ns1.example.test\", \"ns.other.test\"]},"
    "            \"sub.example.test\": {}},"
    " \"records\": ["
    "  {\"name\": \"ns1.example.test\", \"type\": \"A\", \"value\": \"192.0.2.1\"},"
    "  {\"name\": \"www.example.test\", \"type\": \"A\", \"value\": \"192.0.2.2\"},"
    "  {\"name\": \"www.example.test\", \"type\": \"AAAA\", \"value\": \"2001:db8::2\"},"
    "  {\"name\": \"alias.example.test\", \"type\": \"CNAME\", \"value\": \"www.example.test\"},"
    "  {\"name\": \"loop1.example.test\", \"type\": \"CNAME\", \"value\": \"loop2.example.test\"},"
    "  {\"name\": \"loop2.example.test\", \"type\": \"CNAME\", \"value\": \"loop1.example.test\"},"
    "  {\"name\": \"*.wild.example.test\", \"type\": \"A\", \"value\": \"192.0.2.3\"},"
    "  {\"name\": \"*.cw.example.test\", \"type\": \"CNAME\", \"value\": \"www.example.test\"},"
    "  {\"name\": \"app.example.test\", \"type\": \"A\", \"value\": \"192.0.2.4\", \"wildcard\": "
    "true},"
    "  {\"name\": \"deleg.example.test\", \"type\": \"NS\", \"value\": \"ns.deleg.example.test\"},"
    "  {\"name\": \"ns.deleg.example.test\", \"type\": \"A\", \"value\": \"192.0.2.5\"},"
    "  {\"name\": \"example.test\", \"type\": \"MX\", \"value\": \"www.example.test\"},"
    "  {\"name\": \"_sip._udp.example.test\", \"type\": \"SRV\", \"value\": \"0 5 5060 "
    "www.example.test.\"},"
    "  {\"name\": \"big.example.test\", \"type\": \"TXT\", \"value\": \""
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
    "456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
    "456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
    "456789"
    "\"},"
    "  {\"name\": \"local.other\", \"type\": \"A\", \"value\": \"198.51.100.1\"},"
    "  {\"name\": \"*.wl.other\", \"type\": \"A\", \"value\": \"198.51.100.2\"}"
    " ],"
    " \"rewrites\": ["
    "  {\"match\": \"blocked.test\", \"action\": \"nxdomain\"},"
    "  {\"match\": \"*.ads.test\", \"action\": \"redirect\", \"value\": \"0.0.0.0\"}"
    " ]}";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct conf_diag d;
    struct conf *c = NULL;
    conf_diag_init(&d);
    if (conf_load("fuzz", (const uint8_t *)fuzz_config, sizeof(fuzz_config) - 1, NULL, &c,
                  &fuzz_snap, &d))
        abort();
    conf_diag_deinit(&d);
    conf_free(c);
    return 0;
}

static void fuzz_check_response(const uint8_t *req, size_t req_len, const uint8_t *resp, size_t len,
                                size_t limit)
{
    if (len > limit || len < DNS_HDR_LEN)
        abort();
    if (req_len >= 2 && memcmp(req, resp, 2) != 0)
        abort();
    struct cursor c;
    struct dns_header h;
    cursor_init(&c, resp, len);
    if (dns_msg_header(&c, &h) || !(h.flags & DNS_FLAG_QR))
        abort();
    for (unsigned i = 0; i < h.qdcount; i++) {
        struct dns_question q;
        if (dns_msg_question(&c, &q))
            abort();
    }
    unsigned nrr = (unsigned)h.ancount + h.nscount + h.arcount;
    for (unsigned i = 0; i < nrr; i++) {
        struct dns_rr rr;
        if (dns_msg_rr(&c, &rr))
            abort();
        uint8_t rd[65535];
        struct wbuf out;
        struct cursor rc = c;
        rc.pos = rr.rdata_off;
        wbuf_init(&out, rd, sizeof(rd));
        if (rr.type != DNS_TYPE_OPT && dns_rdata_unpack(rr.type, &rc, rr.rdlen, &out))
            abort();
    }
    if (c.pos != len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t resp[65535];
    static uint8_t arena_mem[16384];
    struct arena arena;
    struct query_info info;
    if (!fuzz_snap)
        LLVMFuzzerInitialize(NULL, NULL);
    arena_init_fixed(&arena, arena_mem, sizeof(arena_mem));

    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0xc0000207)};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr.s6_addr = {0x20, 0x01, 0x0d, 0xb8}};
    for (int proto = 0; proto < 2; proto++) {
        struct query_req req = {.buf = data,
                                .len = size,
                                .proto = proto ? QUERY_PROTO_TCP : QUERY_PROTO_UDP,
                                .peer = proto ? (struct sockaddr *)&v6 : (struct sockaddr *)&v4,
                                .now = 1800000000u};
        struct query_resp r = {.buf = resp, .cap = sizeof(resp)};
        query_process(fuzz_snap, &req, &r, &arena, &info);
        arena_reset(&arena);
        if (r.len)
            fuzz_check_response(data, size, resp, r.len, proto ? 65535 : 1232);
    }
    return 0;
}
