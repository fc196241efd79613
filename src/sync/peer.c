#include "sync/peer.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static atomic_bool peer_aborted;

void peer_abort_all(void)
{
    atomic_store(&peer_aborted, true);
}

int peer_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
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
    x->easy = curl_easy_init();
    if (!x->easy)
        return -1;
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, peer_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "nanodns/" NANODNS_VERSION);
    x->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (token && *token) {
        char h[300];
        snprintf(h, sizeof(h), "Authorization: Bearer %s", token);
        x->headers = curl_slist_append(x->headers, h);
    }
    /* no "Expect: 100-continue" round trip before a body */
    x->headers = curl_slist_append(x->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    if (strcmp(c->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body ? (const char *)c->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
    }
    return 0;
}

void peer_run(struct peer_call *calls, size_t n, const char *token, long timeout_ms)
{
    if (!n)
        return;
    struct peer_xfer *xs = calloc(n, sizeof(*xs));
    CURLM *m = curl_multi_init();
    if (!xs || !m) {
        for (size_t i = 0; i < n; i++) {
            calls[i].status = 0;
            snprintf(calls[i].error, sizeof(calls[i].error), "out of memory");
        }
        free(xs);
        if (m)
            curl_multi_cleanup(m);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        calls[i].status = 0;
        calls[i].resp = NULL;
        calls[i].resp_len = 0;
        calls[i].error[0] = 0;
        xs[i].call = &calls[i];
        if (peer_setup(&xs[i], token, timeout_ms) == 0)
            curl_multi_add_handle(m, xs[i].easy);
        else
            snprintf(calls[i].error, sizeof(calls[i].error), "out of memory");
    }
    int running = 1;
    while (running && !atomic_load(&peer_aborted)) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running && curl_multi_poll(m, NULL, 0, 200, NULL) != CURLM_OK)
            break;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
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
            curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &c->status);
            c->resp = x->buf ? x->buf : calloc(1, 1);
            c->resp_len = x->len;
            x->buf = NULL;
        } else {
            snprintf(c->error, sizeof(c->error), "%s",
                     x->too_big ? "reply too large"
                     : x->errbuf[0] ? x->errbuf
                                    : curl_easy_strerror(msg->data.result));
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (xs[i].easy) {
            curl_multi_remove_handle(m, xs[i].easy);
            curl_easy_cleanup(xs[i].easy);
        }
        curl_slist_free_all(xs[i].headers);
        free(xs[i].buf);
        if (!calls[i].resp && !calls[i].error[0])
            snprintf(calls[i].error, sizeof(calls[i].error), "%s",
                     atomic_load(&peer_aborted) ? "shutting down" : "no reply");
    }
    curl_multi_cleanup(m);
    free(xs);
}

void peer_call_clear(struct peer_call *c)
{
    free(c->resp);
    c->resp = NULL;
    c->resp_len = 0;
}
