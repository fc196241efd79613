#pragma once
/*
 * Rewriting and storing the config file the NanoDNS way: the version bump of a local
 * reload, a peer's config made ours (node-local keys kept), and crash-safe writes.
 *
 * Rewritten documents keep the key order and are printed with a 2-space indent, as NanoDNS
 * prints them (json.dumps(indent=2)). Control plane only. Errors are returned as text in
 * `err` (for logs and HTTP replies).
 */

#include <stddef.h>
#include <stdint.h>

/* The highest server.config_version: the largest integer a JSON number carries exactly
 * (the config schema's bound, conf/schema.c). A version above it is refused everywhere, so
 * no node ever stores a config that it or its peers could not load again. */
#define CONF_VERSION_MAX 9007199254740991LL

/* The keys a node keeps as its own when it takes a peer's config. */
extern const char *const conf_local_keys[];

/* `raw` with server.config_version set to `version` (the `server` object is created when
 * absent). Returns 0 and a malloc'ed document in *out, or -1 with err set (also when
 * `version` is not within 0..CONF_VERSION_MAX). */
int conf_set_version(const uint8_t *raw, size_t len, int64_t version, uint8_t **out,
                     size_t *outlen, char *err, size_t errcap);

/* server.config_version of a document (1 when absent, as NanoDNS); -1 with err set when the
 * body is not a JSON object, its `server` is not an object or the version is not an integer
 * within 0..CONF_VERSION_MAX. */
int conf_peek_version(const uint8_t *raw, size_t len, int64_t *version, char *err,
                      size_t errcap);

/*
 * A /sync body as a config document: either the config itself (NanoDNS Python) or
 * {"config_version": N, "config": {...}} (the Rust NanoDNS form; N is written into
 * server.config_version). Then the node-local keys of `mine` replace those of the incoming
 * document (absent in ours: removed). When nothing needs to change the bytes are kept as
 * they came, so every node of a cluster with the same local keys stores the same bytes.
 * Every other value is the peer's, unchanged. Returns 0 with a malloc'ed document and its
 * version, or -1 with err set and *out untouched: a body is taken whole or not at all.
 */
int conf_from_peer(const uint8_t *body, size_t len, const uint8_t *mine, size_t minelen,
                   uint8_t **out, size_t *outlen, int64_t *version, char *err, size_t errcap);

/* Writes `buf` to `path` through a temporary file in the same folder: write, fsync,
 * rename, fsync of the folder; the file's permissions are kept. A crash at any moment
 * leaves the old or the new file whole. A symlink is followed: its target is replaced.
 * Returns 0 or -1 with err set. */
int conf_write_atomic(const char *path, const uint8_t *buf, size_t len, char *err, size_t errcap);
