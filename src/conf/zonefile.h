#pragma once
/*
 * One zone's RFC 1035 file (zones.<name>.file) into the snapshot builder: every record with
 * its file and line as the source, messages as "file:line: message". Records outside the
 * zone are ignored with a warning (as named-checkzone does); the SOA must be at the apex,
 * once. Control plane only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/diag.h"
#include "conf/source.h"
#include "dns/name.h"
#include "zone/build.h"

struct conf_zonefile {
    bool have_soa;
    uint8_t soa[2 * DNS_NAME_MAXLEN + 20];
    uint16_t soa_len;
    uint32_t soa_ttl;
    int soa_source;
    size_t records; /* records added, the SOA included */
};

/* Reads `path` for the zone `apex`; the SOA is returned in `out`, not added. Returns true
 * when the file was read without errors and has an SOA. */
bool conf_zonefile_load(const char *path, const uint8_t *apex, struct zone_builder *b,
                        struct conf_sources *src, struct conf_diag *d, struct conf_zonefile *out);
