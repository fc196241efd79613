#pragma once
/*
 * Response rate limiting (RRL) for UDP, in the style of BIND 9: responses of one kind to one
 * client prefix (IPv4 /24, IPv6 /56 by default) beyond `rate` per second are dropped or,
 * every `slip`-th one, sent truncated (TC=1) so that a real client retries over TCP. It keeps
 * the server from being a useful amplifier in a reflection attack with spoofed sources.
 *
 * Threads: one `struct rrl` is shared by every UDP worker. rrl_check() is lock-free and never
 * calls malloc: a table slot is one 64-bit atomic word updated with compare-and-swap. The
 * table itself (RRL_SLOTS words, mmap'd zero pages) is made by the first rrl_check() that
 * needs it, so a server with rate limiting off never has one; it lives until rrl_free().
 * rrl_new()/rrl_free() are for the thread that starts and stops the workers.
 *
 * The settings come from the published snapshot (struct snap_rrl in zone/snap.h), so a reload
 * that changes them takes effect on the next batch; the table survives it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "query/query.h"
#include "zone/snap.h"

/* Indexes of snap_rrl.rate[]. */
enum rrl_kind {
    RRL_KIND_ANSWER,
    RRL_KIND_NODATA,
    RRL_KIND_NXDOMAIN,
    RRL_KIND_REFERRAL,
    RRL_KIND_ERROR,
    RRL_NKIND
};

enum rrl_verdict {
    RRL_PASS, /* send the response as it is */
    RRL_DROP, /* send nothing */
    RRL_SLIP, /* send it truncated: rrl_slip() */
};

/* Table size in slots (8 per 64-byte line): 512 KiB of address space, backed only where
 * touched. A full table replaces its stalest entries, which can only let a response
 * through, never hold one back. */
#define RRL_SLOTS (1u << 16)

struct rrl;

/* A limiter with a fresh random hash key and no table yet. Returns 0, -ENOMEM, or the
 * negated errno of getrandom. */
int rrl_new(struct rrl **out);
/* Frees the limiter and its table (NULL: nothing). No rrl_check() may run any more. */
void rrl_free(struct rrl *r);

/* Whether any kind is limited: the hot path's single test when rate limiting is off. */
static inline bool rrl_enabled(const struct snap_rrl *cfg)
{
    return (cfg->rate[0] | cfg->rate[1] | cfg->rate[2] | cfg->rate[3] | cfg->rate[4]) != 0;
}

/* The kind of a response (resp/len: the response as written by query_process), or -1 for
 * one that is never limited: nothing sent, forwarded, an UPDATE. */
int rrl_kind(const struct query_info *info, const uint8_t *resp, size_t len);

/* Whether the client's address is proven or trusted: a valid server cookie (RFC 7873) or
 * a source in `exempt`. Such responses pass and are not counted. */
bool rrl_exempt(const struct snap_rrl *cfg, const struct sockaddr *peer,
                const struct query_info *info);

/* Decides one UDP response to `peer`. `now` is a monotonic clock in seconds; `slip_count`
 * is the caller's (per worker thread) count of limited responses since the last slip.
 * Any thread; the answer for a key depends on every thread's earlier calls. */
enum rrl_verdict rrl_check(struct rrl *r, const struct snap_rrl *cfg, const struct sockaddr *peer,
                           const struct query_info *info, const uint8_t *resp, size_t len,
                           uint32_t now, unsigned *slip_count);

/* Rewrites a response in place to its header, question and OPT record (when it has one, so
 * the extended RCODE, DO and a server cookie survive), TC=1, ANCOUNT and NSCOUNT 0 (ID,
 * opcode, flags and the header RCODE kept). Returns 0 and the new length in *out_len, or a
 * negative code (ERR_TRUNC, ERR_SYNTAX) with the buffer unchanged when it does not hold a
 * well-formed header and question. */
int rrl_slip(uint8_t *buf, size_t len, size_t *out_len);
