#pragma once
/*
 * The data part of the config (zones, records, rewrites) -> zone builder, with JSON-path
 * messages for every bad item and for the builder's issues. Control plane only.
 */

#include <jansson.h>

#include "conf/diag.h"
#include "zone/build.h"

void conf_data_build(const json_t *root, struct zone_builder *b, struct conf_diag *d);
/* Words the issues zone_builder_finish found as messages naming records and zones. */
void conf_data_issues(const json_t *root, const struct zone_builder *b, struct conf_diag *d);
