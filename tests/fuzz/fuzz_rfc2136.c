/*
 * Fuzz target: any bytes as an RFC 2136 UPDATE (src/update/rfc2136.c) against a fixed config
 * with a zone open to a TSIG key and one open to 127.0.0.0/8. Must never crash or leak; a
 * change only comes with NOERROR and is well formed; the reply fits and echoes the ID.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "update/rfc2136.h"
#include "zone/snap.h"

static const char config[] =
    "{\"server\": {\"upstream\": []},"
    " \"tsig_keys\": {\"k1\": {\"secret\": \"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\"}},"
    " \"zones\": {\"key.test\": {\"ns\": [\"ns1.key.test\"], \"allow_update\": [\"key:k1\"]},"
    "            \"open.test\": {\"ns\": [\"ns1.open.test\", \"ns2.open.test\"],"
    "                           \"allow_update\": [\"127.0.0.0/8\"]}},"
    " \"records\": [{\"name\": \"ns1.key.test\", \"type\": \"A\", \"value\": \"10.0.0.1\"},"
    "  {\"name\": \"ns1.open.test\", \"type\": \"A\", \"value\": \"10.0.0.2\"},"
    "  {\"name\": \"www.open.test\", \"type\": \"A\", \"value\": \"10.0.0.3\"},"
    "  {\"name\": \"www.open.test\", \"type\": \"TXT\", \"value\": \"t\"},"
    "  {\"name\": \"c.open.test\", \"type\": \"CNAME\", \"value\": \"www.open.test\"}]}";

static struct conf *conf;
static struct snap *snap;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!conf) {
        struct conf_diag d;
        conf_diag_init(&d);
        struct conf_overrides ov = CONF_OVERRIDES_NONE;
        ov.no_zone_files = true;
        if (conf_load("fuzz.json", (const uint8_t *)config, sizeof(config) - 1, &ov, &conf,
                      &snap, &d))
            abort();
        conf_diag_deinit(&d);
    }
    struct sockaddr_storage peer = {0};
    struct sockaddr_in *in = (struct sockaddr_in *)&peer;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(size % 2 ? 0x7f000001u : 0xc0000201u);
    struct rfc2136_ctx x = {.conf = conf, .snap = snap, .peer = &peer, .now = 1700000000};
    struct rfc2136_result *res = malloc(sizeof(*res));
    if (!res)
        return 0;
    rfc2136_process(&x, data, size, res);
    if (res->commit && res->rcode != DNS_RCODE_NOERROR)
        abort();
    if (res->commit) {
        if (res->change.nsets > DYN_CHANGE_MAX || res->change.nzones != 1)
            abort();
        for (size_t i = 0; i < res->change.nsets; i++) {
            const struct dyn_rrset *s = &res->change.sets[i];
            size_t at = 0;
            for (uint16_t k = 0; k < s->count; k++) {
                if (at + 2 > s->rdlen)
                    abort();
                at += 2u + ((size_t)s->rdata[at] << 8 | s->rdata[at + 1]);
            }
            if (at != s->rdlen)
                abort();
        }
    }
    static uint8_t out[65535];
    size_t n = rfc2136_reply(data, size, res, res->rcode, x.now, out, sizeof(out));
    if (n && (n < DNS_HDR_LEN || n > sizeof(out) || memcmp(out, data, 2) != 0))
        abort();
    rfc2136_result_free(res);
    free(res);
    return 0;
}
