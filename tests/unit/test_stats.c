/*
 * Query counters (src/stats/stats.c): the bounded label mapping and names, histogram bucket
 * placement at and around the bounds, and the registry: blocks written by two threads at
 * once and summed, also while they are being written.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "stats/stats.h"

static void test_mapping(void **state)
{
    (void)state;
    assert_int_equal(stats_qtype(DNS_TYPE_A), STATS_QTYPE_A);
    assert_int_equal(stats_qtype(DNS_TYPE_AAAA), STATS_QTYPE_AAAA);
    assert_int_equal(stats_qtype(DNS_TYPE_HTTPS), STATS_QTYPE_HTTPS);
    assert_int_equal(stats_qtype(DNS_TYPE_CAA), STATS_QTYPE_CAA);
    assert_int_equal(stats_qtype(DNS_TYPE_ANY), STATS_QTYPE_ANY);
    assert_int_equal(stats_qtype(DNS_TYPE_HINFO), STATS_QTYPE_OTHER);
    assert_int_equal(stats_qtype(0), STATS_QTYPE_OTHER);
    assert_int_equal(stats_qtype(65535), STATS_QTYPE_OTHER);
    assert_int_equal(stats_rcode(DNS_RCODE_NOERROR), STATS_RCODE_NOERROR);
    assert_int_equal(stats_rcode(DNS_RCODE_NXDOMAIN), STATS_RCODE_NXDOMAIN);
    assert_int_equal(stats_rcode(DNS_RCODE_REFUSED), STATS_RCODE_REFUSED);
    assert_int_equal(stats_rcode(DNS_RCODE_NOTAUTH), STATS_RCODE_OTHER);
    assert_int_equal(stats_rcode(DNS_RCODE_BADVERS), STATS_RCODE_OTHER);

    assert_string_equal(stats_qtype_name(STATS_QTYPE_A), "A");
    assert_string_equal(stats_qtype_name(STATS_QTYPE_DNSKEY), "DNSKEY");
    assert_string_equal(stats_qtype_name(STATS_QTYPE_OTHER), "other");
    assert_string_equal(stats_rcode_name(STATS_RCODE_SERVFAIL), "SERVFAIL");
    assert_string_equal(stats_rcode_name(STATS_RCODE_OTHER), "other");
    assert_string_equal(stats_transport_name(STATS_UDP), "udp");
    assert_string_equal(stats_transport_name(STATS_TCP), "tcp");
    /* every label has a distinct, non-empty name, and each named type maps back to itself */
    for (int i = 0; i < STATS_NQTYPE; i++) {
        assert_true(strlen(stats_qtype_name((enum stats_qtype)i)) > 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(stats_qtype_name((enum stats_qtype)i),
                                    stats_qtype_name((enum stats_qtype)j));
    }
    for (int i = 0; i < STATS_NRCODE; i++)
        for (int j = 0; j < i; j++)
            assert_string_not_equal(stats_rcode_name((enum stats_rcode)i),
                                    stats_rcode_name((enum stats_rcode)j));
    for (unsigned t = 0; t < 65536; t++) {
        enum stats_qtype q = stats_qtype((uint16_t)t);
        assert_true(q < STATS_NQTYPE);
    }
}

static void test_buckets(void **state)
{
    (void)state;
    /* bounds ascending, from 10 us to about a second */
    assert_int_equal(stats_lat_bounds_ns[0], 10000);
    assert_int_equal(stats_lat_bounds_ns[STATS_NLAT - 1], 1000000000);
    for (int i = 1; i < STATS_NLAT; i++)
        assert_true(stats_lat_bounds_ns[i] > stats_lat_bounds_ns[i - 1]);

    const uint64_t *b = stats_lat_bounds_ns;
    assert_int_equal(stats_bucket(b, STATS_NLAT, 0), 0);
    assert_int_equal(stats_bucket(b, STATS_NLAT, 1), 0);
    assert_int_equal(stats_bucket(b, STATS_NLAT, 10000), 0); /* le: the bound itself */
    assert_int_equal(stats_bucket(b, STATS_NLAT, 10001), 1);
    for (size_t i = 0; i < STATS_NLAT; i++) {
        assert_int_equal(stats_bucket(b, STATS_NLAT, b[i]), i);
        assert_int_equal(stats_bucket(b, STATS_NLAT, b[i] + 1), i + 1);
        assert_int_equal(stats_bucket(b, STATS_NLAT, b[i] - 1), i); /* bounds are far apart */
    }
    assert_int_equal(stats_bucket(b, STATS_NLAT, 1000000001), STATS_NLAT); /* +Inf */
    assert_int_equal(stats_bucket(b, STATS_NLAT, UINT64_MAX), STATS_NLAT);
    assert_int_equal(stats_bucket(b, 0, 5), 0);

    struct stats_block *blk = stats_block_new();
    assert_non_null(blk);
    assert_int_equal((uintptr_t)blk % 64, 0);
    stats_observe(blk, STATS_UDP, DNS_RCODE_NOERROR, 7000);
    stats_observe(blk, STATS_UDP, DNS_RCODE_NXDOMAIN, 30000);
    stats_observe(blk, STATS_TCP, 9, 2000000000);
    stats_query(blk, STATS_UDP, true, DNS_TYPE_MX);
    stats_query(blk, STATS_UDP, false, DNS_TYPE_MX);
    assert_int_equal(blk->latency[STATS_UDP][0], 1);
    assert_int_equal(blk->latency[STATS_UDP][2], 1);
    assert_int_equal(blk->latency[STATS_TCP][STATS_NLAT], 1);
    assert_int_equal(blk->latency_sum_ns[STATS_UDP], 37000);
    assert_int_equal(blk->latency_sum_ns[STATS_TCP], 2000000000);
    assert_int_equal(blk->responses[STATS_UDP][STATS_RCODE_NOERROR], 1);
    assert_int_equal(blk->responses[STATS_UDP][STATS_RCODE_NXDOMAIN], 1);
    assert_int_equal(blk->responses[STATS_TCP][STATS_RCODE_OTHER], 1);
    assert_int_equal(blk->queries[STATS_UDP][STATS_QTYPE_MX], 1);
    assert_int_equal(blk->queries[STATS_UDP][STATS_QTYPE_OTHER], 1);
    stats_free_all();
}

#define ROUNDS 200000

static void *writer(void *arg)
{
    struct stats_block *b = stats_block_new();
    enum stats_transport t = arg ? STATS_TCP : STATS_UDP;
    if (!b)
        return NULL;
    for (uint64_t i = 0; i < ROUNDS; i++) {
        stats_query(b, t, true, DNS_TYPE_A);
        stats_observe(b, t, DNS_RCODE_NOERROR, i % 2 ? 5000 : 3000000);
        stats_inc(&b->cache_hits);
        stats_add(&b->cache_misses, 2);
    }
    return b;
}

static void test_sum_threads(void **state)
{
    (void)state;
    struct stats_block sum;
    stats_sum(&sum);
    assert_int_equal(sum.queries[STATS_UDP][STATS_QTYPE_A], 0); /* nothing registered */

    pthread_t th[2];
    assert_int_equal(pthread_create(&th[0], NULL, writer, NULL), 0);
    assert_int_equal(pthread_create(&th[1], NULL, writer, (void *)1), 0);
    /* Sums taken while the writers run never go backwards. */
    uint64_t last = 0;
    for (int i = 0; i < 50; i++) {
        stats_sum(&sum);
        uint64_t now = sum.cache_hits;
        assert_true(now >= last);
        assert_true(now <= 2 * ROUNDS);
        last = now;
    }
    void *ret[2];
    assert_int_equal(pthread_join(th[0], &ret[0]), 0);
    assert_int_equal(pthread_join(th[1], &ret[1]), 0);
    assert_non_null(ret[0]);
    assert_non_null(ret[1]);

    stats_sum(&sum);
    assert_null(sum.next);
    assert_int_equal(sum.queries[STATS_UDP][STATS_QTYPE_A], ROUNDS);
    assert_int_equal(sum.queries[STATS_TCP][STATS_QTYPE_A], ROUNDS);
    assert_int_equal(sum.responses[STATS_UDP][STATS_RCODE_NOERROR], ROUNDS);
    assert_int_equal(sum.responses[STATS_TCP][STATS_RCODE_NOERROR], ROUNDS);
    assert_int_equal(sum.latency[STATS_UDP][0], ROUNDS / 2);
    assert_int_equal(sum.latency[STATS_UDP][8], ROUNDS / 2); /* 3 ms: le 5 ms */
    assert_int_equal(sum.latency_sum_ns[STATS_TCP], (uint64_t)ROUNDS / 2 * (5000 + 3000000));
    assert_int_equal(sum.cache_hits, 2 * ROUNDS);
    assert_int_equal(sum.cache_misses, 4 * ROUNDS);

    stats_free_all();
    stats_sum(&sum);
    assert_int_equal(sum.cache_hits, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_sum_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
