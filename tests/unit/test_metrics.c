/*
 * The /metrics renderers (src/mgmt/metrics.c) on a filled view: the JSON body (NanoDNS's
 * keys first and in its order, ours after, one-decimal reals, only non-zero by_type and
 * by_rcode entries) and the Prometheus text (HELP and TYPE for every family, every label
 * combination present, cumulative buckets, exact values), checked line by line and, when
 * Debian's promtool is installed, by `promtool check metrics` (errors and lint).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "dns/dns.h"
#include "mgmt/metrics.h"

static void fill(struct metrics_view *v)
{
    memset(v, 0, sizeof(*v));
    v->uptime_s = 12.34;
    v->version = 7;
    v->checksum = "0123456789abcdef";
    v->records = 8;
    v->zones = 1;
    v->build_version = "0.1.0";
    v->updates.n[METRICS_UPD_HTTP][METRICS_UPD_APPLIED] = 11;
    v->updates.n[METRICS_UPD_DYNDNS2][METRICS_UPD_REJECTED] = 12;
    v->updates.n[METRICS_UPD_RFC2136][METRICS_UPD_FAILED] = 13;
    struct stats_block *q = &v->q;
    q->queries[STATS_UDP][STATS_QTYPE_A] = 5;
    q->queries[STATS_UDP][STATS_QTYPE_OTHER] = 1;
    q->queries[STATS_TCP][STATS_QTYPE_A] = 2;
    q->queries[STATS_TCP][STATS_QTYPE_AAAA] = 3;
    q->responses[STATS_UDP][STATS_RCODE_NOERROR] = 4;
    q->responses[STATS_UDP][STATS_RCODE_NXDOMAIN] = 1;
    q->responses[STATS_TCP][STATS_RCODE_NOERROR] = 5;
    q->latency[STATS_UDP][0] = 3;
    q->latency[STATS_UDP][2] = 2;
    q->latency_sum_ns[STATS_UDP] = 1500000123;
    q->latency[STATS_TCP][STATS_NLAT] = 5;
    q->latency_sum_ns[STATS_TCP] = 10000000000;
    q->dropped[STATS_UDP] = 1;
    q->forwarded = 2;
    q->rrl_dropped = 6;
    q->rrl_slipped = 7;
    q->tcp_refused = 8;
    q->tcp_evicted = 9;
    q->tcp_timeouts = 10;
    q->http_evicted = 12;
    q->http_timeouts = 13;
    v->cache.enabled = true;
    v->cache.size = 2;
    v->cache.max_size = 1000;
    v->cache.hits = 3;
    v->cache.misses = 1;
    v->cache.evictions = 4;
    v->upstream.queries = 9;
    v->upstream.failures = 1;
    v->upstream.timeouts = 2;
    v->upstream.errors = 3;
    v->upstream.tcp_retries = 1;
    v->upstream.latency[0] = 1;
    v->upstream.latency[METRICS_NUPLAT] = 2;
    v->upstream.latency_sum_ns = 7000000000;
    v->upstream.pending = 1;
    v->reloads.ok = 2;
    v->reloads.failed = 1;
    v->reloads.last_success_unix = 1700000000.5;
    v->sync.push_applied = 1;
    v->sync.push_stale = 2;
    v->sync.pull_error = 3;
    v->sync.recv_invalid = 4;
}

/* The keys of object `o`, in order, joined by commas. */
static void keys(json_t *o, char *out, size_t cap)
{
    size_t pos = 0;
    out[0] = 0;
    assert_true(json_is_object(o));
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        int n = snprintf(out + pos, cap - pos, "%s%s", pos ? "," : "", json_object_iter_key(it));
        assert_true(n > 0 && (size_t)n < cap - pos);
        pos += (size_t)n;
    }
}

static void assert_keys(json_t *o, const char *want)
{
    char got[512];
    keys(o, got, sizeof(got));
    assert_string_equal(got, want);
}

static json_int_t geti(json_t *o, const char *path1, const char *path2)
{
    json_t *x = json_object_get(o, path1);
    if (path2)
        x = json_object_get(x, path2);
    assert_true(json_is_integer(x));
    return json_integer_value(x);
}

static void test_json(void **state)
{
    (void)state;
    struct metrics_view v;
    fill(&v);
    char *text;
    size_t len;
    assert_int_equal(metrics_render_json(&v, &text, &len), 0);
    assert_int_equal(len, strlen(text));
    /* reals with one decimal and no binary noise, 2-space indent */
    assert_non_null(strstr(text, "{\n  \"uptime_s\": 12.3,\n  \"version\": 7,\n"));
    assert_non_null(strstr(text, "\"hit_rate\": 75.0,"));

    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    assert_non_null(root);
    assert_keys(root, "uptime_s,version,checksum,records,zones,cache,queries,upstream,reloads,"
                      "updates,sync");
    assert_true(json_is_real(json_object_get(root, "uptime_s")));
    assert_true(json_real_value(json_object_get(root, "uptime_s")) == 12.3);
    assert_int_equal(geti(root, "version", NULL), 7);
    assert_string_equal(json_string_value(json_object_get(root, "checksum")), "0123456789abcdef");
    assert_int_equal(geti(root, "records", NULL), 8);
    assert_int_equal(geti(root, "zones", NULL), 1);

    json_t *c = json_object_get(root, "cache");
    assert_keys(c, "size,max_size,hits,misses,hit_rate,evictions");
    assert_int_equal(geti(c, "size", NULL), 2);
    assert_int_equal(geti(c, "max_size", NULL), 1000);
    assert_int_equal(geti(c, "hits", NULL), 3);
    assert_int_equal(geti(c, "misses", NULL), 1);
    assert_true(json_real_value(json_object_get(c, "hit_rate")) == 75.0);
    assert_int_equal(geti(c, "evictions", NULL), 4);

    json_t *q = json_object_get(root, "queries");
    assert_keys(q, "total,udp,tcp,by_type,by_rcode,dropped,forwarded,rrl_dropped,rrl_slipped,"
                   "tcp_refused,tcp_evicted,tcp_timeouts,http_evicted,http_timeouts");
    assert_int_equal(geti(q, "total", NULL), 11);
    assert_int_equal(geti(q, "udp", NULL), 6);
    assert_int_equal(geti(q, "tcp", NULL), 5);
    assert_keys(json_object_get(q, "by_type"), "A,AAAA,other");
    assert_int_equal(geti(q, "by_type", "A"), 7);
    assert_int_equal(geti(q, "by_type", "AAAA"), 3);
    assert_int_equal(geti(q, "by_type", "other"), 1);
    assert_keys(json_object_get(q, "by_rcode"), "NOERROR,NXDOMAIN");
    assert_int_equal(geti(q, "by_rcode", "NOERROR"), 9);
    assert_int_equal(geti(q, "by_rcode", "NXDOMAIN"), 1);
    assert_int_equal(geti(q, "dropped", NULL), 1);
    assert_int_equal(geti(q, "forwarded", NULL), 2);
    assert_int_equal(geti(q, "rrl_dropped", NULL), 6);
    assert_int_equal(geti(q, "rrl_slipped", NULL), 7);
    assert_int_equal(geti(q, "tcp_refused", NULL), 8);
    assert_int_equal(geti(q, "tcp_evicted", NULL), 9);
    assert_int_equal(geti(q, "tcp_timeouts", NULL), 10);
    assert_int_equal(geti(q, "http_evicted", NULL), 12);
    assert_int_equal(geti(q, "http_timeouts", NULL), 13);

    json_t *u = json_object_get(root, "upstream");
    assert_keys(u, "queries,failures,timeouts,tcp_retries,pending,errors");
    assert_int_equal(geti(u, "queries", NULL), 9);
    assert_int_equal(geti(u, "failures", NULL), 1);
    assert_int_equal(geti(u, "timeouts", NULL), 2);
    assert_int_equal(geti(u, "tcp_retries", NULL), 1);
    assert_int_equal(geti(u, "pending", NULL), 1);
    assert_int_equal(geti(u, "errors", NULL), 3);

    assert_keys(json_object_get(root, "reloads"), "ok,failed");
    assert_int_equal(geti(root, "reloads", "ok"), 2);
    assert_int_equal(geti(root, "reloads", "failed"), 1);

    json_t *up = json_object_get(root, "updates");
    assert_keys(up, "http,dyndns2,rfc2136");
    assert_keys(json_object_get(up, "http"), "applied,rejected,failed");
    assert_int_equal(geti(up, "http", "applied"), 11);
    assert_int_equal(geti(up, "dyndns2", "rejected"), 12);
    assert_int_equal(geti(up, "rfc2136", "failed"), 13);
    assert_int_equal(geti(up, "rfc2136", "applied"), 0);

    json_t *s = json_object_get(root, "sync");
    assert_keys(s, "push,pull,receive");
    assert_keys(json_object_get(s, "push"), "applied,already_current,rejected_stale,error");
    assert_keys(json_object_get(s, "pull"), "applied,error");
    assert_keys(json_object_get(s, "receive"), "applied,already_current,rejected_stale,invalid");
    assert_int_equal(geti(json_object_get(s, "push"), "rejected_stale", NULL), 2);
    assert_int_equal(geti(json_object_get(s, "pull"), "error", NULL), 3);
    assert_int_equal(geti(json_object_get(s, "receive"), "invalid", NULL), 4);
    json_decref(root);
    free(text);

    /* No lookups: a hit rate of 0.0, still a real; empty by_type and by_rcode objects. */
    memset(&v, 0, sizeof(v));
    assert_int_equal(metrics_render_json(&v, &text, &len), 0);
    root = json_loads(text, 0, &err);
    assert_non_null(root);
    assert_non_null(strstr(text, "\"hit_rate\": 0.0"));
    assert_non_null(strstr(text, "\"uptime_s\": 0.0"));
    assert_string_equal(json_string_value(json_object_get(root, "checksum")), "");
    assert_int_equal(json_object_size(json_object_get(json_object_get(root, "queries"), "by_type")),
                     0);
    json_decref(root);
    free(text);
}

/* The text has exactly this line. */
static void has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return;
    }
    fail_msg("missing line: %s", line);
}

static size_t count_prefix(const char *text, const char *prefix)
{
    size_t n = 0, plen = strlen(prefix);
    for (const char *p = text; *p;) {
        if (strncmp(p, prefix, plen) == 0)
            n++;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

/* Every sample's family has HELP and TYPE before it; every line ends in a newline. */
static void check_structure(const char *text)
{
    char families[64][64];
    size_t nfam = 0;
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    char *copy = strdup(text);
    assert_non_null(copy);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[64];
        if (strncmp(line, "# HELP ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%63s", name), 1);
            assert_true(nfam < 64);
            snprintf(families[nfam++], sizeof(families[0]), "%s", name);
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char type[16];
            assert_int_equal(sscanf(line + 7, "%63s %15s", name, type), 2);
            assert_true(nfam > 0);
            assert_string_equal(name, families[nfam - 1]); /* right after its HELP */
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                        strcmp(type, "histogram") == 0);
            if (strcmp(type, "counter") == 0)
                assert_non_null(strstr(name, "_total"));
            continue;
        }
        assert_true(line[0] != '#');
        size_t n = strcspn(line, "{ ");
        assert_true(n > 0 && n < sizeof(name));
        memcpy(name, line, n);
        name[n] = 0;
        /* a sample of the current family (a histogram's series carry a suffix) */
        const char *fam = families[nfam - 1];
        size_t flen = strlen(fam);
        assert_true(strncmp(name, fam, flen) == 0);
        const char *suffix = name + flen;
        assert_true(!*suffix || strcmp(suffix, "_bucket") == 0 || strcmp(suffix, "_sum") == 0 ||
                    strcmp(suffix, "_count") == 0);
    }
    /* no family twice */
    for (size_t i = 0; i < nfam; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(families[i], families[j]);
    free(copy);
}

static void promtool(const char *text, size_t len)
{
    if (access("/usr/bin/promtool", X_OK) != 0) {
        print_message("promtool not installed: skipping its check\n");
        return;
    }
    char path[] = "/tmp/nanodns-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s", path);
    int r = system(cmd);
    unlink(path);
    assert_int_equal(r, 0);
}

static void test_prometheus(void **state)
{
    (void)state;
    struct metrics_view v;
    fill(&v);
    char *text;
    size_t len;
    assert_int_equal(metrics_render_prometheus(&v, &text, &len), 0);
    assert_int_equal(len, strlen(text));
    check_structure(text);

    has_line(text, "# HELP nanodns_queries_total DNS queries received, by transport and question "
                   "type.");
    has_line(text, "# TYPE nanodns_queries_total counter");
    has_line(text, "nanodns_queries_total{transport=\"udp\",type=\"A\"} 5");
    has_line(text, "nanodns_queries_total{transport=\"udp\",type=\"other\"} 1");
    has_line(text, "nanodns_queries_total{transport=\"tcp\",type=\"AAAA\"} 3");
    has_line(text, "nanodns_queries_total{transport=\"tcp\",type=\"CAA\"} 0");
    assert_int_equal(count_prefix(text, "nanodns_queries_total{"), 2 * STATS_NQTYPE);
    has_line(text, "nanodns_responses_total{transport=\"udp\",rcode=\"NXDOMAIN\"} 1");
    has_line(text, "nanodns_responses_total{transport=\"tcp\",rcode=\"other\"} 0");
    assert_int_equal(count_prefix(text, "nanodns_responses_total{"), 2 * STATS_NRCODE);
    has_line(text, "nanodns_queries_dropped_total{transport=\"udp\"} 1");
    has_line(text, "nanodns_queries_forwarded_total 2");
    has_line(text, "# TYPE nanodns_rrl_dropped_total counter");
    has_line(text, "nanodns_rrl_dropped_total 6");
    has_line(text, "nanodns_rrl_slipped_total 7");
    has_line(text, "# TYPE nanodns_tcp_refused_total counter");
    has_line(text, "nanodns_tcp_refused_total 8");
    has_line(text, "nanodns_tcp_evicted_total 9");
    has_line(text, "nanodns_tcp_timeouts_total 10");
    has_line(text, "# TYPE nanodns_http_evicted_total counter");
    has_line(text, "nanodns_http_evicted_total 12");
    has_line(text, "nanodns_http_timeouts_total 13");

    /* histograms: cumulative, +Inf equals _count, _sum in seconds */
    has_line(text, "# TYPE nanodns_query_duration_seconds histogram");
    has_line(text, "nanodns_query_duration_seconds_bucket{transport=\"udp\",le=\"1e-05\"} 3");
    has_line(text, "nanodns_query_duration_seconds_bucket{transport=\"udp\",le=\"2.5e-05\"} 3");
    has_line(text, "nanodns_query_duration_seconds_bucket{transport=\"udp\",le=\"5e-05\"} 5");
    has_line(text, "nanodns_query_duration_seconds_bucket{transport=\"udp\",le=\"1\"} 5");
    has_line(text, "nanodns_query_duration_seconds_bucket{transport=\"udp\",le=\"+Inf\"} 5");
    has_line(text, "nanodns_query_duration_seconds_sum{transport=\"udp\"} 1.500000123");
    has_line(text, "nanodns_query_duration_seconds_count{transport=\"udp\"} 5");
    has_line(text, "nanodns_query_duration_seconds_bucket{transport=\"tcp\",le=\"1\"} 0");
    has_line(text, "nanodns_query_duration_seconds_bucket{transport=\"tcp\",le=\"+Inf\"} 5");
    has_line(text, "nanodns_query_duration_seconds_sum{transport=\"tcp\"} 10.000000000");
    assert_int_equal(count_prefix(text, "nanodns_query_duration_seconds_bucket{"),
                     2 * (STATS_NLAT + 1));

    has_line(text, "nanodns_cache_enabled 1");
    has_line(text, "nanodns_cache_hits_total 3");
    has_line(text, "nanodns_cache_misses_total 1");
    has_line(text, "nanodns_cache_evictions_total 4");
    has_line(text, "# TYPE nanodns_cache_entries gauge");
    has_line(text, "nanodns_cache_entries 2");
    has_line(text, "nanodns_cache_max_entries 1000");

    has_line(text, "nanodns_upstream_queries_total 9");
    has_line(text, "nanodns_upstream_failures_total 1");
    has_line(text, "nanodns_upstream_timeouts_total 2");
    has_line(text, "nanodns_upstream_errors_total 3");
    has_line(text, "nanodns_upstream_tcp_retries_total 1");
    has_line(text, "# TYPE nanodns_upstream_pending gauge");
    has_line(text, "nanodns_upstream_pending 1");
    has_line(text, "nanodns_upstream_duration_seconds_bucket{le=\"0.001\"} 1");
    has_line(text, "nanodns_upstream_duration_seconds_bucket{le=\"5\"} 1");
    has_line(text, "nanodns_upstream_duration_seconds_bucket{le=\"+Inf\"} 3");
    has_line(text, "nanodns_upstream_duration_seconds_sum 7.000000000");
    has_line(text, "nanodns_upstream_duration_seconds_count 3");

    has_line(text, "nanodns_reloads_total{result=\"success\"} 2");
    has_line(text, "nanodns_reloads_total{result=\"failure\"} 1");
    has_line(text, "nanodns_last_reload_success_timestamp_seconds 1700000000.500");
    has_line(text, "nanodns_sync_total{direction=\"push\",result=\"applied\"} 1");
    has_line(text, "# TYPE nanodns_updates_total counter");
    has_line(text, "nanodns_updates_total{source=\"http\",result=\"applied\"} 11");
    has_line(text, "nanodns_updates_total{source=\"dyndns2\",result=\"rejected\"} 12");
    has_line(text, "nanodns_updates_total{source=\"rfc2136\",result=\"failed\"} 13");
    has_line(text, "nanodns_updates_total{source=\"rfc2136\",result=\"applied\"} 0");
    has_line(text, "nanodns_sync_total{direction=\"push\",result=\"rejected_stale\"} 2");
    has_line(text, "nanodns_sync_total{direction=\"pull\",result=\"error\"} 3");
    has_line(text, "nanodns_sync_total{direction=\"receive\",result=\"invalid\"} 4");
    has_line(text, "nanodns_sync_total{direction=\"receive\",result=\"already_current\"} 0");
    assert_int_equal(count_prefix(text, "nanodns_sync_total{"), 10);
    has_line(text, "nanodns_config_version 7");
    has_line(text, "nanodns_records 8");
    has_line(text, "nanodns_zones 1");
    has_line(text, "nanodns_uptime_seconds 12.340");
    has_line(text, "nanodns_build_info{version=\"0.1.0\"} 1");
    promtool(text, len);
    free(text);

    /* An empty view and a version that needs escaping render valid text too. */
    memset(&v, 0, sizeof(v));
    v.version = -1;
    v.build_version = "a\"b\\c";
    assert_int_equal(metrics_render_prometheus(&v, &text, &len), 0);
    check_structure(text);
    has_line(text, "nanodns_build_info{version=\"a\\\"b\\\\c\"} 1");
    has_line(text, "nanodns_config_version -1");
    has_line(text, "nanodns_last_reload_success_timestamp_seconds 0.000");
    has_line(text, "nanodns_query_duration_seconds_sum{transport=\"tcp\"} 0.000000000");
    promtool(text, len);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_prometheus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
