#include "conf/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conf_diag_init(struct conf_diag *d)
{
    memset(d, 0, sizeof(*d));
}

void conf_diag_deinit(struct conf_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->msgs[i].text);
    free(d->msgs);
    memset(d, 0, sizeof(*d));
}

static void conf_diag__add(struct conf_diag *d, bool error, const char *fmt, va_list ap)
{
    if (error)
        d->errors++;
    else
        d->warnings++;
    if (d->n >= CONF_DIAG_MAX) {
        d->dropped++;
        return;
    }
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 8;
        struct conf_diag_msg *nm = realloc(d->msgs, ncap * sizeof(*nm));
        if (!nm) {
            d->dropped++;
            return;
        }
        d->msgs = nm;
        d->cap = ncap;
    }
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) {
        d->dropped++;
        return;
    }
    d->msgs[d->n++] = (struct conf_diag_msg){.error = error, .text = text};
}

void conf_diag_error(struct conf_diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conf_diag__add(d, true, fmt, ap);
    va_end(ap);
}

void conf_diag_warn(struct conf_diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conf_diag__add(d, false, fmt, ap);
    va_end(ap);
}
