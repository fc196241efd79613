#pragma once
/*
 * The data part of the config (zones, with their zone files, records, rewrites) -> zone
 * builder, with messages naming the JSON path or file:line of every bad item, the builder's
 * issues, and the checks that need the finished snapshot. Control plane only.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/diag.h"
#include "conf/source.h"
#include "dns/name.h"
#include "zone/build.h"
#include "zone/snap.h"

struct conf_data {
    const json_t *root;
    const char *base_dir; /* relative zone file paths start here */
    bool allow_files;     /* false: a "file" key is an error (fuzzing) */
    struct conf_sources src;
    size_t zone_files;   /* zones read from a file */
    size_t file_records; /* records read from them */
    /* Every zone the config declares (zones keys that are names, SOA records), lower-cased,
     * even one with other errors, so that names inside it are not reported again. */
    uint8_t (*apexes)[DNS_NAME_MAXLEN];
    size_t napexes;
};

void conf_data_init(struct conf_data *cd, const json_t *root, const char *base_dir,
                    bool allow_files);
void conf_data_deinit(struct conf_data *cd);

void conf_data_build(struct conf_data *cd, struct zone_builder *b, struct conf_diag *d);
/* After conf_data_build: the apex of the deepest declared zone holding `name` (at or below
 * it), or NULL. */
const uint8_t *conf_data_zone_of(const struct conf_data *cd, const uint8_t *name);
/* Words the issues zone_builder_finish found as messages naming their sources. */
void conf_data_issues(const struct conf_data *cd, const struct zone_builder *b,
                      struct conf_diag *d);
/* named-checkzone's check that in-zone name servers have addresses: an error for NS records
 * from zone files, a warning for JSON ones (NanoDNS accepted those). */
void conf_data_check(const struct conf_data *cd, const struct snap *s, struct conf_diag *d);
