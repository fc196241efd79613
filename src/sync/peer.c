#include "sync/peer.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/dl.h"

struct peer_xfer {
    struct peer_call *call;
    CURL *easy;
    struct curl_slist *headers;
    char url[300];
    char errbuf[CURL_ERROR_SIZE];
    char *buf;
    size_t len, cap;
    bool too_big;
};

/* libcurl, loaded on the first call to a peer (util/dl.h). */
static struct {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
    __typeof__(curl_multi_init) *multi_init;
    __typeof__(curl_multi_cleanup) *multi_cleanup;
    __typeof__(curl_multi_add_handle) *multi_add_handle;
    __typeof__(curl_multi_remove_handle) *multi_remove_handle;
    __typeof__(curl_multi_perform) *multi_perform;
    __typeof__(curl_multi_poll) *multi_poll;
    __typeof__(curl_multi_info_read) *multi_info_read;
} lc;

static const struct dl_sym lc_syms[] = {
    {"curl_global_init", (void **)&lc.global_init},
    {"curl_easy_init", (void **)&lc.easy_init},
    {"curl_easy_setopt", (void **)&lc.easy_setopt},
    {"curl_easy_getinfo", (void **)&lc.easy_getinfo},
    {"curl_easy_cleanup", (void **)&lc.easy_cleanup},
    {"curl_easy_strerror", (void **)&lc.easy_strerror},
    {"curl_slist_append", (void **)&lc.slist_append},
    {"curl_slist_free_all", (void **)&lc.slist_free_all},
    {"curl_multi_init", (void **)&lc.multi_init},
    {"curl_multi_cleanup", (void **)&lc.multi_cleanup},
    {"curl_multi_add_handle", (void **)&lc.multi_add_handle},
    {"curl_multi_remove_handle", (void **)&lc.multi_remove_handle},
    {"curl_multi_perform", (void **)&lc.multi_perform},
    {"curl_multi_poll", (void **)&lc.multi_poll},
    {"curl_multi_info_read", (void **)&lc.multi_info_read},
};

static struct dl_lib lc_lib = {
    .soname = "libcurl.so.4",
    .package = "libcurl4",
    .syms = lc_syms,
    .nsyms = sizeof(lc_syms) / sizeof(lc_syms[0]),
};

static atomic_bool peer_aborted;

void peer_abort_all(void)
{
    atomic_store(&peer_aborted, true);
}

static pthread_once_t peer_once = PTHREAD_ONCE_INIT;
static char peer_init_error[256];

static void peer_init(void)
{
    if (dl_load(&lc_lib))
        snprintf(peer_init_error, sizeof(peer_init_error), "%s", lc_lib.error);
    else if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        snprintf(peer_init_error, sizeof(peer_init_error), "cannot initialise libcurl");
}

static size_t peer_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct peer_xfer *x = ud;
    size_t n = size * nmemb;
    if (x->len + n > PEER_MAX_BODY) {
        x->too_big = true;
        return 0;
    }
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < x->len + n + 1)
            cap *= 2;
        char *b = realloc(x->buf, cap);
        if (!b)
            return 0;
        x->buf = b;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    x->buf[x->len] = 0;
    return n;
}

static int peer_setup(struct peer_xfer *x, const char *token, long timeout_ms)
{
    struct peer_call *c = x->call;
    const char *scheme = strstr(c->peer, "://") ? "" : "http://";
    snprintf(x->url, sizeof(x->url), "%s%s%s", scheme, c->peer, c->path);
    x->easy = lc.easy_init();
    if (!x->easy)
        return -1;
    CURL *e = x->easy;
    lc.easy_setopt(e, CURLOPT_URL, x->url);
    lc.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    lc.easy_setopt(e, CURLOPT_NOPROXY, "*");
    lc.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    lc.easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    lc.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    lc.easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    lc.easy_setopt(e, CURLOPT_WRITEFUNCTION, peer_write);
    lc.easy_setopt(e, CURLOPT_WRITEDATA, x);
    lc.easy_setopt(e, CURLOPT_USERAGENT, "nanodns/" NANODNS_VERSION);
    x->headers = lc.slist_append(NULL, "Content-Type: application/json");
    if (token && *token) {
        char h[300];
        snprintf(h, sizeof(h), "Authorization: Bearer %s", token);
        x->headers = lc.slist_append(x->headers, h);
    }
    /* no "Expect: 100-continue" round trip before a body */
    x->headers = lc.slist_append(x->headers, "Expect:");
    lc.easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    if (strcmp(c->method, "POST") == 0) {
        lc.easy_setopt(e, CURLOPT_POST, 1L);
        lc.easy_setopt(e, CURLOPT_POSTFIELDS, c->body ? (const char *)c->body : "");
        lc.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
    }
    return 0;
}

void peer_run(struct peer_call *calls, size_t n, const char *token, long timeout_ms)
{
    if (!n)
        return;
    pthread_once(&peer_once, peer_init);
    if (peer_init_error[0]) {
        for (size_t i = 0; i < n; i++) {
            calls[i].status = 0;
            calls[i].resp = NULL;
            calls[i].resp_len = 0;
            snprintf(calls[i].error, sizeof(calls[i].error), "%s", peer_init_error);
        }
        return;
    }
    struct peer_xfer *xs = calloc(n, sizeof(*xs));
    CURLM *m = lc.multi_init();
    if (!xs || !m) {
        for (size_t i = 0; i < n; i++) {
            calls[i].status = 0;
            snprintf(calls[i].error, sizeof(calls[i].error), "out of memory");
        }
        free(xs);
        if (m)
            lc.multi_cleanup(m);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        calls[i].status = 0;
        calls[i].resp = NULL;
        calls[i].resp_len = 0;
        calls[i].error[0] = 0;
        xs[i].call = &calls[i];
        if (peer_setup(&xs[i], token, timeout_ms) == 0)
            lc.multi_add_handle(m, xs[i].easy);
        else
            snprintf(calls[i].error, sizeof(calls[i].error), "out of memory");
    }
    int running = 1;
    while (running && !atomic_load(&peer_aborted)) {
        if (lc.multi_perform(m, &running) != CURLM_OK)
            break;
        if (running && lc.multi_poll(m, NULL, 0, 200, NULL) != CURLM_OK)
            break;
    }
    CURLMsg *msg;
    int left;
    while ((msg = lc.multi_info_read(m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct peer_xfer *x = NULL;
        for (size_t i = 0; i < n; i++)
            if (xs[i].easy == msg->easy_handle)
                x = &xs[i];
        if (!x)
            continue;
        struct peer_call *c = x->call;
        if (msg->data.result == CURLE_OK) {
            lc.easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &c->status);
            c->resp = x->buf ? x->buf : calloc(1, 1);
            c->resp_len = x->len;
            x->buf = NULL;
        } else {
            snprintf(c->error, sizeof(c->error), "%s",
                     x->too_big ? "reply too large"
                     : x->errbuf[0] ? x->errbuf
                                    : lc.easy_strerror(msg->data.result));
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (xs[i].easy) {
            lc.multi_remove_handle(m, xs[i].easy);
            lc.easy_cleanup(xs[i].easy);
        }
        lc.slist_free_all(xs[i].headers);
        free(xs[i].buf);
        if (!calls[i].resp && !calls[i].error[0])
            snprintf(calls[i].error, sizeof(calls[i].error), "%s",
                     atomic_load(&peer_aborted) ? "shutting down" : "no reply");
    }
    lc.multi_cleanup(m);
    free(xs);
}

void peer_call_clear(struct peer_call *c)
{
    free(c->resp);
    c->resp = NULL;
    c->resp_len = 0;
}
