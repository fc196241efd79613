#pragma once
/* fail(): the one way a ThreadSanitizer test program reports a broken invariant, as
 * "<program>: FAIL: <message>" on stderr and exit status 1 (a data race exits 66). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: FAIL: ", program_invocation_short_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}
