/*
 * Fuzz target: any bytes as a nanodns.json. Loading must never crash, leak or accept a
 * config without building its snapshot; a config that loads must load again the same way.
 */
#include <stdint.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "zone/snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf_diag d;
    struct conf *c = NULL;
    struct snap *s = NULL;
    conf_diag_init(&d);
    int r = conf_load("fuzz.json", data, size, NULL, &c, &s, &d);
    if (r == 0 && (!c || !s || d.errors))
        abort();
    if (r != 0 && (c || s || !d.errors))
        abort();
    if (r == 0 && (c->raw_len != size))
        abort();
    conf_diag_deinit(&d);
    snap_free(s);
    conf_free(c);
    return 0;
}
