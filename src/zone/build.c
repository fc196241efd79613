/*
 * Snapshot builder, the adding half: zones, RRs and rewrite rules from every source (JSON
 * records, zone files, the dynamic layer) are only recorded here. Owner names (lower-cased)
 * go into a scratch arena, RDATA into one growing byte vector, and each RR becomes a small
 * fixed-size entry; a zone's SOA serial is patched as the dynamic layer has moved it on, and
 * static RRsets the dynamic layer replaces are skipped.
 *
 * All the work happens in zone_builder_finish (zone/build_finish.c): this file is the cheap
 * bookkeeping called once per record, that one the multi-pass algorithm run once per load.
 * The structures both share are in zone/build_int.h.
 */
#include "zone/build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "util/err.h"
#include "zone/build_int.h"

struct zone_builder *zone_builder_new(void)
{
    struct zone_builder *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    arena_init_growing(&b->names, 64 * 1024);
    if (zone_tree_init(&b->zone_index, 16)) {
        free(b);
        return NULL;
    }
    b->opts.udp_max_payload = 1232;
    b->opts.rewrite_ttl = 60;
    return b;
}

void zone_builder_free(struct zone_builder *b)
{
    if (!b)
        return;
    arena_deinit(&b->names);
    zone_tree_deinit(&b->zone_index);
    free(b->rrs);
    free(b->rd);
    free(b->zones);
    free(b->rws);
    free(b->issues);
    free(b->nodes);
    free(b->sets);
    free(b->scratch);
    free(b);
}

void zone_builder_set_opts(struct zone_builder *b, const struct snap_opts *opts)
{
    b->opts = *opts;
}

void zone_builder_set_hooks(struct zone_builder *b, const struct zone_builder_hooks *h)
{
    if (h)
        b->hooks = *h;
    else
        memset(&b->hooks, 0, sizeof(b->hooks));
}

int zone_builder_add_dynamic(struct zone_builder *b)
{
    return b->hooks.add ? b->hooks.add(b->hooks.ctx, b) : 0;
}

static const uint8_t *zb_lower_dup(struct zone_builder *b, const uint8_t *name, size_t *len)
{
    uint8_t tmp[DNS_NAME_MAXLEN];
    *len = dns_name_copy_lower(tmp, name);
    return arena_dup(&b->names, tmp, *len);
}

bool zone_builder_in_zone(const struct zone_builder *b, const uint8_t *name)
{
    uint8_t tmp[DNS_NAME_MAXLEN];
    dns_name_copy_lower(tmp, name);
    return zone__build_deepest_zone(b, tmp) >= 0;
}

int zone_builder_add_zone(struct zone_builder *b, const uint8_t *apex, uint32_t soa_ttl,
                          const uint8_t *soa, uint16_t soa_len, int source)
{
    size_t len;
    const uint8_t *name = zb_lower_dup(b, apex, &len);
    if (!name)
        return -ENOMEM;
    int r = zone__build_grow((void **)&b->zones, &b->capzones, b->nzones + 1, sizeof(*b->zones));
    if (r)
        return r;
    r = zone_tree_insert(&b->zone_index, name, len, (void *)(uintptr_t)(b->nzones + 1));
    if (r)
        return r;
    b->zones[b->nzones++] = (struct zone__build_zone){.apex = name, .len = (uint8_t)len};
    /* The serial (after MNAME and RNAME) as the dynamic layer has moved it on. */
    uint8_t patched[2 * DNS_NAME_MAXLEN + 20];
    long at = b->hooks.serial ? dns_rdata_soa_serial_at(soa, soa_len) : -1;
    if (at >= 0 && soa_len <= sizeof(patched)) {
        uint32_t serial = (uint32_t)soa[at] << 24 | (uint32_t)soa[at + 1] << 16 |
                          (uint32_t)soa[at + 2] << 8 | soa[at + 3];
        uint32_t nserial = b->hooks.serial(b->hooks.ctx, name, serial);
        if (nserial != serial) {
            memcpy(patched, soa, soa_len);
            patched[at] = (uint8_t)(nserial >> 24);
            patched[at + 1] = (uint8_t)(nserial >> 16);
            patched[at + 2] = (uint8_t)(nserial >> 8);
            patched[at + 3] = (uint8_t)nserial;
            soa = patched;
        }
    }
    return zone_builder_add_rr(b, name, DNS_TYPE_SOA, soa_ttl, soa, soa_len, 0, source);
}

int zone_builder_add_rr(struct zone_builder *b, const uint8_t *owner, uint16_t type, uint32_t ttl,
                        const uint8_t *rdata, uint16_t rdlen, unsigned flags, int source)
{
    size_t len;
    if (b->hooks.hides && !(flags & ZONE_RR_DYNAMIC)) {
        uint8_t tmp[DNS_NAME_MAXLEN];
        dns_name_copy_lower(tmp, owner);
        if (b->hooks.hides(b->hooks.ctx, tmp, type))
            return 0;
    }
    const uint8_t *name = zb_lower_dup(b, owner, &len);
    if (!name)
        return -ENOMEM;
    if (b->nrr >= UINT32_MAX)
        return ERR_LIMIT;
    int r = zone__build_grow((void **)&b->rrs, &b->caprr, b->nrr + 1, sizeof(*b->rrs));
    if (!r)
        r = zone__build_grow((void **)&b->rd, &b->rdcap, b->rdlen + rdlen + 1, 1);
    if (r)
        return r;
    if (rdlen)
        memcpy(b->rd + b->rdlen, rdata, rdlen);
    b->rrs[b->nrr] = (struct zone__build_rr){
        .owner = name,
        .rd_off = b->rdlen,
        .seq = (uint32_t)b->nrr,
        .ttl = ttl,
        .source = source,
        .type = type,
        .rdlen = rdlen,
        .owner_len = (uint8_t)len,
        .flags = (uint8_t)flags,
    };
    b->nrr++;
    b->rdlen += rdlen;
    b->nname_only += type == ZONE_TYPE_NAME_ONLY;
    return 0;
}

int zone_builder_add_rewrite(struct zone_builder *b, const uint8_t *name, bool below,
                             const struct zone_rewrite *rule)
{
    size_t len;
    const uint8_t *lname = zb_lower_dup(b, name, &len);
    if (!lname)
        return -ENOMEM;
    int r = zone__build_grow((void **)&b->rws, &b->caprw, b->nrw + 1, sizeof(*b->rws));
    if (r)
        return r;
    b->rws[b->nrw++] = (struct zone__build_rewrite){
        .name = lname, .len = (uint8_t)len, .below = below, .rule = *rule};
    return 0;
}

size_t zone_builder_issues(const struct zone_builder *b, const struct zone_issue **issues)
{
    *issues = b->issues;
    return b->nissues;
}
