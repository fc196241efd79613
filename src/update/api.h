#pragma once
/*
 * The nanodnsd-style HTTP update (`/api/update`, ../shared/reference/dyndns-compat.md): the
 * request's parameters -> a status and body from the contract's table, and for a valid
 * request the change to commit (update/dyn.h). Pure: no I/O, no clock, no shared state, so
 * every row of the table is unit-tested. The caller (the control thread's update job) adds
 * the serial, commits and answers 500 "update failed" when that fails.
 */

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "update/dyn.h"

/* Query parameters, percent-decoded; NULL: absent (an empty value is not absent). */
struct update_params {
    const char *hostname;
    const char *token;
    const char *ipv4;
    const char *ipv6;
};

/* A prepared change; `change` points into the struct itself. */
struct update_prep {
    unsigned status;  /* HTTP status */
    const char *body; /* the contract's body ("ok", "forbidden", ...) */
    bool commit;      /* true: commit `change`, then answer status/body */
    bool auth_failed; /* a wrong token or host: counts for the rate limit */
    const struct conf_dyndns *host;
    struct dyn_change change;
    uint8_t ablob[2 + 4];     /* the RRs: 2-byte length + address */
    uint8_t aaaablob[2 + 16];
};

/* Fills `p` for a request at time `now` (unix seconds) against the config `c`. */
void update_api_prepare(const struct conf *c, const struct update_params *q, int64_t now,
                        struct update_prep *p);

/* dyndns2 (`/nic/update`): one host of the request. Fills `p` like update_api_prepare, with
 * `body` one of the dyndns2 words for the errors ("notfqdn", "nohost", "badauth"); for a
 * valid host `commit` is set and the caller answers "good <ip>" or "nochg <ip>". Only the
 * families given are changed. `password` NULL: no credentials. `v4`/`v6` NULL: not given. */
void update_nic_prepare(const struct conf *c, const char *hostname, size_t hlen,
                        const char *password, const uint8_t *v4, const uint8_t *v6, int64_t now,
                        struct update_prep *p);

/* The addresses of a dyndns2 `myip` (comma-separated, at most one of each family; an
 * invalid one is ignored, as dyn.com does) into v4/v6 (have4/have6 set when found). */
void update_nic_myip(const char *myip, uint8_t v4[4], bool *have4, uint8_t v6[16], bool *have6);

/* Constant-time comparison of a token with the expected one. */
bool update_token_equal(const char *given, const char *expected);
