#pragma once
/*
 * Error codes. Fallible functions return 0 on success or a negative code: a negated errno
 * value, or one of the ERR_* codes below (all below -1000). err_str() names either kind.
 * Thread-safe; no allocation.
 */

enum {
    ERR_FORMAT = -1001,      /* malformed input */
    ERR_SPACE = -1002,       /* output buffer too small */
    ERR_TRUNC = -1003,       /* input ends early */
    ERR_NAME = -1004,        /* invalid domain name */
    ERR_LABEL = -1005,       /* label longer than 63 bytes */
    ERR_NAME_LONG = -1006,   /* name longer than 255 bytes */
    ERR_PTR = -1007,         /* bad or looping compression pointer */
    ERR_RANGE = -1008,       /* number out of range */
    ERR_SYNTAX = -1009,      /* text does not parse */
    ERR_TYPE = -1010,        /* unknown RR type */
    ERR_UNSUPPORTED = -1011, /* valid but not supported */
    ERR_EXISTS = -1012,      /* duplicate entry */
    ERR_NOTFOUND = -1013,    /* no such entry */
    ERR_LIMIT = -1014,       /* configured limit reached */
    ERR_NOMEM = -1015,       /* allocation failed or size overflow */
    ERR_CONFLICT = -1016,    /* data contradicts other data (e.g. CNAME and other data) */
};

const char *err_str(int code);
