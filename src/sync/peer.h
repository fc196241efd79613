#pragma once
/*
 * HTTP calls to the management API of peers ("host:port" as in server.peers), through
 * libcurl: several calls run in parallel, each with its own timeout. Blocking; any thread
 * but the data plane's. libcurl is loaded and initialised on the first call (util/dl.h); if
 * it cannot be, every call fails with that reason in `error`.
 */

#include <stddef.h>
#include <stdint.h>

#define PEER_MAX_BODY (64u << 20) /* replies larger than this are an error */
#define CURL_ERROR_SIZE_NANODNS 256 /* CURL_ERROR_SIZE */

struct peer_call {
    /* in */
    const char *peer;   /* "host:port", "[v6]:port" or a URL base "http://..." */
    const char *method; /* "GET" or "POST" */
    const char *path;   /* "/health" */
    const uint8_t *body;
    size_t len;
    /* out */
    long status;   /* HTTP status; 0 when there was no reply */
    char *resp;    /* the reply body, NUL-terminated (malloc; peer_call_clear frees it) */
    size_t resp_len;
    char error[CURL_ERROR_SIZE_NANODNS]; /* why there was no reply */
};

/* Runs the calls in parallel; `token` (NULL or "": none) goes in Authorization: Bearer. */
void peer_run(struct peer_call *calls, size_t n, const char *token, long timeout_ms);
void peer_call_clear(struct peer_call *c);
/* At shutdown: calls under way end within ~0.2 s ("shutting down"), new ones at once. */
void peer_abort_all(void);
