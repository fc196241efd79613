/*
 * The two renderings of GET /metrics.
 *
 * JSON: NanoDNS's body, key for key and in its order (uptime_s, version, checksum, records,
 * zones, cache{size, max_size, hits, misses, hit_rate}), so its dashboards keep working;
 * our own keys follow (cache.evictions, queries, upstream, reloads, sync). Reals carry one
 * decimal as NanoDNS's do.
 *
 * Prometheus text format 0.0.4: every family has HELP and TYPE, counters end in _total,
 * times are in seconds, histograms are cumulative with an le="+Inf" bucket, _sum and
 * _count. Label sets are bounded (stats/stats.h folds the rest into "other") and every
 * combination is written even when zero, so series never appear or disappear.
 */
#include "mgmt/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

const uint64_t metrics_upstream_bounds_ns[METRICS_NUPLAT] = {
    1000000,   2500000,   5000000,   10000000,   25000000,   50000000,
    100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000,
};

/* ---- JSON ------------------------------------------------------------------------------ */

/* One decimal, as NanoDNS rounds (values here are never negative). */
static double metrics__round1(double x)
{
    if (!(x > 0))
        return 0.0;
    return (double)(uint64_t)(x * 10.0 + 0.5) / 10.0;
}

static json_t *metrics__uint(uint64_t n)
{
    return json_integer(n > INT64_MAX ? INT64_MAX : (json_int_t)n);
}

/* Adds `val` to `o`; a failure (out of memory) clears *ok. json_object_set_new takes `val`
 * either way and a NULL val is a failure. */
static void metrics__put(json_t *o, const char *key, json_t *val, bool *ok)
{
    if (!o || json_object_set_new(o, key, val) != 0)
        *ok = false;
}

static json_t *metrics__object(json_t *parent, const char *key, bool *ok)
{
    json_t *o = json_object();
    metrics__put(parent, key, o, ok);
    return *ok ? o : NULL;
}

/* Labels of metrics_view.updates, by enum metrics_upd_src and enum metrics_upd_res. */
static const char *const metrics_upd_src_names[3] = {"http", "dyndns2", "rfc2136"};
static const char *const metrics_upd_res_names[3] = {"applied", "rejected", "failed"};

static void metrics__json_queries(const struct metrics_view *v, json_t *root, bool *ok)
{
    const struct stats_block *q = &v->q;
    uint64_t per[STATS_NTRANSPORT] = {0};
    uint64_t by_type[STATS_NQTYPE] = {0}, by_rcode[STATS_NRCODE] = {0};
    for (int t = 0; t < STATS_NTRANSPORT; t++) {
        for (int i = 0; i < STATS_NQTYPE; i++) {
            per[t] += q->queries[t][i];
            by_type[i] += q->queries[t][i];
        }
        for (int i = 0; i < STATS_NRCODE; i++)
            by_rcode[i] += q->responses[t][i];
    }
    json_t *o = metrics__object(root, "queries", ok);
    metrics__put(o, "total", metrics__uint(per[STATS_UDP] + per[STATS_TCP]), ok);
    metrics__put(o, "udp", metrics__uint(per[STATS_UDP]), ok);
    metrics__put(o, "tcp", metrics__uint(per[STATS_TCP]), ok);
    json_t *bt = metrics__object(o, "by_type", ok);
    for (int i = 0; i < STATS_NQTYPE; i++)
        if (by_type[i])
            metrics__put(bt, stats_qtype_name((enum stats_qtype)i), metrics__uint(by_type[i]), ok);
    json_t *br = metrics__object(o, "by_rcode", ok);
    for (int i = 0; i < STATS_NRCODE; i++)
        if (by_rcode[i])
            metrics__put(br, stats_rcode_name((enum stats_rcode)i), metrics__uint(by_rcode[i]), ok);
    metrics__put(o, "dropped", metrics__uint(q->dropped[STATS_UDP] + q->dropped[STATS_TCP]), ok);
    metrics__put(o, "forwarded", metrics__uint(q->forwarded), ok);
    metrics__put(o, "rrl_dropped", metrics__uint(q->rrl_dropped), ok);
    metrics__put(o, "rrl_slipped", metrics__uint(q->rrl_slipped), ok);
    metrics__put(o, "tcp_refused", metrics__uint(q->tcp_refused), ok);
    metrics__put(o, "tcp_evicted", metrics__uint(q->tcp_evicted), ok);
    metrics__put(o, "tcp_timeouts", metrics__uint(q->tcp_timeouts), ok);
    metrics__put(o, "http_evicted", metrics__uint(q->http_evicted), ok);
    metrics__put(o, "http_timeouts", metrics__uint(q->http_timeouts), ok);
}

int metrics_render_json(const struct metrics_view *v, char **out, size_t *len)
{
    bool ok = true;
    json_t *root = json_object();
    if (!root)
        return -ENOMEM;
    metrics__put(root, "uptime_s", json_real(metrics__round1(v->uptime_s)), &ok);
    metrics__put(root, "version", json_integer(v->version), &ok);
    metrics__put(root, "checksum", json_string(v->checksum ? v->checksum : ""), &ok);
    metrics__put(root, "records", metrics__uint(v->records), &ok);
    metrics__put(root, "zones", metrics__uint(v->zones), &ok);

    json_t *c = metrics__object(root, "cache", &ok);
    uint64_t lookups = v->cache.hits + v->cache.misses;
    double rate = lookups ? 100.0 * (double)v->cache.hits / (double)lookups : 0.0;
    metrics__put(c, "size", metrics__uint(v->cache.size), &ok);
    metrics__put(c, "max_size", metrics__uint(v->cache.max_size), &ok);
    metrics__put(c, "hits", metrics__uint(v->cache.hits), &ok);
    metrics__put(c, "misses", metrics__uint(v->cache.misses), &ok);
    metrics__put(c, "hit_rate", json_real(metrics__round1(rate)), &ok);
    metrics__put(c, "evictions", metrics__uint(v->cache.evictions), &ok);

    metrics__json_queries(v, root, &ok);

    json_t *u = metrics__object(root, "upstream", &ok);
    metrics__put(u, "queries", metrics__uint(v->upstream.queries), &ok);
    metrics__put(u, "failures", metrics__uint(v->upstream.failures), &ok);
    metrics__put(u, "timeouts", metrics__uint(v->upstream.timeouts), &ok);
    metrics__put(u, "tcp_retries", metrics__uint(v->upstream.tcp_retries), &ok);
    metrics__put(u, "pending", metrics__uint(v->upstream.pending), &ok);
    metrics__put(u, "errors", metrics__uint(v->upstream.errors), &ok);

    json_t *r = metrics__object(root, "reloads", &ok);
    metrics__put(r, "ok", metrics__uint(v->reloads.ok), &ok);
    metrics__put(r, "failed", metrics__uint(v->reloads.failed), &ok);

    json_t *upd = metrics__object(root, "updates", &ok);
    for (int src = 0; src < 3; src++) {
        json_t *o = metrics__object(upd, metrics_upd_src_names[src], &ok);
        for (int res = 0; res < 3; res++)
            metrics__put(o, metrics_upd_res_names[res], metrics__uint(v->updates.n[src][res]), &ok);
    }

    json_t *s = metrics__object(root, "sync", &ok);
    json_t *push = metrics__object(s, "push", &ok);
    metrics__put(push, "applied", metrics__uint(v->sync.push_applied), &ok);
    metrics__put(push, "already_current", metrics__uint(v->sync.push_current), &ok);
    metrics__put(push, "rejected_stale", metrics__uint(v->sync.push_stale), &ok);
    metrics__put(push, "error", metrics__uint(v->sync.push_error), &ok);
    json_t *pull = metrics__object(s, "pull", &ok);
    metrics__put(pull, "applied", metrics__uint(v->sync.pull_applied), &ok);
    metrics__put(pull, "error", metrics__uint(v->sync.pull_error), &ok);
    json_t *recv = metrics__object(s, "receive", &ok);
    metrics__put(recv, "applied", metrics__uint(v->sync.recv_applied), &ok);
    metrics__put(recv, "already_current", metrics__uint(v->sync.recv_current), &ok);
    metrics__put(recv, "rejected_stale", metrics__uint(v->sync.recv_stale), &ok);
    metrics__put(recv, "invalid", metrics__uint(v->sync.recv_invalid), &ok);

    /* 15 significant digits print a value rounded to one decimal without binary noise
     * (12.3, not 12.300000000000001). */
    char *text =
        ok ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
           : NULL;
    json_decref(root);
    if (!text)
        return -ENOMEM;
    *out = text;
    *len = strlen(text);
    return 0;
}

/* ---- Prometheus ------------------------------------------------------------------------ */

static void metrics__family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics__counter(FILE *f, const char *name, const char *help, uint64_t n)
{
    metrics__family(f, name, "counter", help);
    fprintf(f, "%s %" PRIu64 "\n", name, n);
}

static void metrics__gauge(FILE *f, const char *name, const char *help, uint64_t n)
{
    metrics__family(f, name, "gauge", help);
    fprintf(f, "%s %" PRIu64 "\n", name, n);
}

/* Nanoseconds as seconds, exactly. */
static void metrics__seconds(FILE *f, uint64_t ns)
{
    fprintf(f, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
}

/* A label value: backslash, double quote and newline escaped. */
static void metrics__label_value(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* One histogram's series; `labels` ("" or `name="value"`) goes before le. The buckets in
 * `counts` (n + 1 of them, the last one +Inf) are per bucket and summed up here. */
static void metrics__histogram(FILE *f, const char *name, const char *labels,
                               const uint64_t *bounds, size_t n, const uint64_t *counts,
                               uint64_t sum_ns)
{
    const char *sep = *labels ? "," : "";
    uint64_t cum = 0;
    for (size_t i = 0; i <= n; i++) {
        cum += counts[i];
        if (i < n)
            fprintf(f, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, sep,
                    (double)bounds[i] / 1e9, cum);
        else
            fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, cum);
    }
    if (*labels)
        fprintf(f, "%s_sum{%s} ", name, labels);
    else
        fprintf(f, "%s_sum ", name);
    metrics__seconds(f, sum_ns);
    if (*labels)
        fprintf(f, "\n%s_count{%s} %" PRIu64 "\n", name, labels, cum);
    else
        fprintf(f, "\n%s_count %" PRIu64 "\n", name, cum);
}

static void metrics__prom_queries(FILE *f, const struct stats_block *q)
{
    metrics__family(f, "nanodns_queries_total", "counter",
                    "DNS queries received, by transport and question type.");
    for (int t = 0; t < STATS_NTRANSPORT; t++)
        for (int i = 0; i < STATS_NQTYPE; i++)
            fprintf(f, "nanodns_queries_total{transport=\"%s\",type=\"%s\"} %" PRIu64 "\n",
                    stats_transport_name((enum stats_transport)t),
                    stats_qtype_name((enum stats_qtype)i), q->queries[t][i]);

    metrics__family(f, "nanodns_responses_total", "counter",
                    "DNS responses sent, by transport and RCODE.");
    for (int t = 0; t < STATS_NTRANSPORT; t++)
        for (int i = 0; i < STATS_NRCODE; i++)
            fprintf(f, "nanodns_responses_total{transport=\"%s\",rcode=\"%s\"} %" PRIu64 "\n",
                    stats_transport_name((enum stats_transport)t),
                    stats_rcode_name((enum stats_rcode)i), q->responses[t][i]);

    metrics__family(f, "nanodns_queries_dropped_total", "counter",
                    "DNS messages received and not answered, by transport.");
    for (int t = 0; t < STATS_NTRANSPORT; t++)
        fprintf(f, "nanodns_queries_dropped_total{transport=\"%s\"} %" PRIu64 "\n",
                stats_transport_name((enum stats_transport)t), q->dropped[t]);

    metrics__counter(f, "nanodns_queries_forwarded_total",
                     "DNS queries handed to the forwarder (cache misses).", q->forwarded);
    metrics__counter(f, "nanodns_rrl_dropped_total",
                     "UDP responses not sent because of response rate limiting (also counted "
                     "in nanodns_queries_dropped_total).",
                     q->rrl_dropped);
    metrics__counter(f, "nanodns_rrl_slipped_total",
                     "UDP responses sent truncated (TC=1) instead because of response rate "
                     "limiting.",
                     q->rrl_slipped);
    metrics__counter(f, "nanodns_tcp_refused_total",
                     "TCP connections closed at accept because a connection limit was reached "
                     "(server.tcp_max_clients with none idle, or server.tcp_max_per_ip).",
                     q->tcp_refused);
    metrics__counter(f, "nanodns_tcp_evicted_total",
                     "Idle TCP connections closed to make room for a new one.", q->tcp_evicted);
    metrics__counter(f, "nanodns_tcp_timeouts_total",
                     "TCP connections closed by the idle timeout (server.tcp_idle_timeout).",
                     q->tcp_timeouts);
    metrics__counter(f, "nanodns_http_evicted_total",
                     "HTTP connections (management API and update listener) not being "
                     "answered, closed to make room for a new one (server.http_max_clients).",
                     q->http_evicted);
    metrics__counter(f, "nanodns_http_timeouts_total",
                     "HTTP connections closed for not delivering a complete request within "
                     "server.http_timeout of their start or of their previous answer.",
                     q->http_timeouts);

    metrics__family(f, "nanodns_query_duration_seconds", "histogram",
                    "Time from receiving a DNS query to sending its response.");
    for (int t = 0; t < STATS_NTRANSPORT; t++) {
        char labels[32];
        snprintf(labels, sizeof(labels), "transport=\"%s\"",
                 stats_transport_name((enum stats_transport)t));
        metrics__histogram(f, "nanodns_query_duration_seconds", labels, stats_lat_bounds_ns,
                           STATS_NLAT, q->latency[t], q->latency_sum_ns[t]);
    }
}

static void metrics__prom_cache(FILE *f, const struct metrics_view *v)
{
    metrics__gauge(f, "nanodns_cache_enabled", "Whether the answer cache is in use (1) or not (0).",
                   v->cache.enabled);
    metrics__counter(f, "nanodns_cache_hits_total", "Queries answered from the cache.",
                     v->cache.hits);
    metrics__counter(f, "nanodns_cache_misses_total", "Cache lookups that found no usable answer.",
                     v->cache.misses);
    metrics__counter(f, "nanodns_cache_evictions_total",
                     "Live cache entries removed to make room for new ones.", v->cache.evictions);
    metrics__gauge(f, "nanodns_cache_entries", "Answers held in the cache.", v->cache.size);
    metrics__gauge(f, "nanodns_cache_max_entries", "Capacity of the cache (server.cache_size).",
                   v->cache.max_size);
}

static void metrics__prom_upstream(FILE *f, const struct metrics_view *v)
{
    metrics__counter(f, "nanodns_upstream_queries_total",
                     "Queries sent to upstream servers (attempts, UDP and TCP).",
                     v->upstream.queries);
    metrics__counter(f, "nanodns_upstream_failures_total",
                     "Questions answered SERVFAIL because every upstream failed.",
                     v->upstream.failures);
    metrics__counter(f, "nanodns_upstream_timeouts_total",
                     "Upstream attempts that got no answer in time.", v->upstream.timeouts);
    metrics__counter(f, "nanodns_upstream_errors_total",
                     "Upstream attempts that failed other than by timing out.", v->upstream.errors);
    metrics__counter(f, "nanodns_upstream_tcp_retries_total",
                     "Truncated upstream UDP replies asked again over TCP.",
                     v->upstream.tcp_retries);
    metrics__gauge(f, "nanodns_upstream_pending", "Questions waiting for an upstream now.",
                   v->upstream.pending);
    metrics__family(f, "nanodns_upstream_duration_seconds", "histogram",
                    "Time from sending a query upstream to its reply, per answered attempt.");
    metrics__histogram(f, "nanodns_upstream_duration_seconds", "", metrics_upstream_bounds_ns,
                       METRICS_NUPLAT, v->upstream.latency, v->upstream.latency_sum_ns);
}

static void metrics__sync(FILE *f, const char *dir, const char *result, uint64_t n)
{
    fprintf(f, "nanodns_sync_total{direction=\"%s\",result=\"%s\"} %" PRIu64 "\n", dir, result, n);
}

static void metrics__prom_state(FILE *f, const struct metrics_view *v)
{
    metrics__family(f, "nanodns_reloads_total", "counter",
                    "Config reloads, by result (a failed one keeps the running config).");
    fprintf(f, "nanodns_reloads_total{result=\"success\"} %" PRIu64 "\n", v->reloads.ok);
    fprintf(f, "nanodns_reloads_total{result=\"failure\"} %" PRIu64 "\n", v->reloads.failed);
    metrics__family(f, "nanodns_last_reload_success_timestamp_seconds", "gauge",
                    "Unix time of the last successful config load (0: never).");
    fprintf(f, "nanodns_last_reload_success_timestamp_seconds %.3f\n",
            v->reloads.last_success_unix > 0 ? v->reloads.last_success_unix : 0.0);

    metrics__family(f, "nanodns_sync_total", "counter",
                    "Peer sync exchanges: pushes sent and the peer's answer, pulls made, "
                    "and pushes received, by result.");
    metrics__sync(f, "push", "applied", v->sync.push_applied);
    metrics__sync(f, "push", "already_current", v->sync.push_current);
    metrics__sync(f, "push", "rejected_stale", v->sync.push_stale);
    metrics__sync(f, "push", "error", v->sync.push_error);
    metrics__sync(f, "pull", "applied", v->sync.pull_applied);
    metrics__sync(f, "pull", "error", v->sync.pull_error);
    metrics__sync(f, "receive", "applied", v->sync.recv_applied);
    metrics__sync(f, "receive", "already_current", v->sync.recv_current);
    metrics__sync(f, "receive", "rejected_stale", v->sync.recv_stale);
    metrics__sync(f, "receive", "invalid", v->sync.recv_invalid);

    metrics__family(f, "nanodns_updates_total", "counter",
                    "Dynamic updates by front end (http: /api/update, dyndns2: /nic/update, "
                    "rfc2136: DNS UPDATE) and result (applied, rejected: the client's fault, "
                    "failed: the server's).");
    for (int src = 0; src < 3; src++)
        for (int res = 0; res < 3; res++)
            fprintf(f, "nanodns_updates_total{source=\"%s\",result=\"%s\"} %" PRIu64 "\n",
                    metrics_upd_src_names[src], metrics_upd_res_names[res], v->updates.n[src][res]);

    metrics__family(f, "nanodns_config_version", "gauge",
                    "server.config_version of the running config.");
    fprintf(f, "nanodns_config_version %" PRId64 "\n", v->version);
    metrics__gauge(f, "nanodns_records", "Records in the running config.", v->records);
    metrics__gauge(f, "nanodns_zones", "Zones in the running config.", v->zones);
    metrics__family(f, "nanodns_uptime_seconds", "gauge", "Seconds since the server started.");
    fprintf(f, "nanodns_uptime_seconds %.3f\n", v->uptime_s > 0 ? v->uptime_s : 0.0);
    metrics__family(f, "nanodns_build_info", "gauge", "The running nanodns version (always 1).");
    fputs("nanodns_build_info{version=\"", f);
    metrics__label_value(f, v->build_version);
    fputs("\"} 1\n", f);
}

int metrics_render_prometheus(const struct metrics_view *v, char **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return -ENOMEM;
    metrics__prom_queries(f, &v->q);
    metrics__prom_cache(f, v);
    metrics__prom_upstream(f, v);
    metrics__prom_state(f, v);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed || !buf) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    *len = size;
    return 0;
}
