#pragma once
/*
 * A structural check of the store's data file (data.mdb) before LMDB maps it. LMDB trusts
 * its file: it follows page numbers and node offsets as they are, so a data.mdb that was cut
 * short (a full disk, a partial copy, a restore from a bad backup) or damaged makes it read
 * past the end of the map (SIGBUS), read garbage, or write through a page it takes for one
 * of its own dirty pages (SIGSEGV), and a damaged free list makes it hand out a page that
 * still holds data, which corrupts the good data on the next write. store_open calls this
 * first, so such a file is refused with a sentence and left as it is, for a person to
 * inspect or restore.
 *
 * What is checked is what LMDB 0.9 will touch, starting from the meta page it will pick
 * (the one with the higher transaction id, which must sit in the page of its parity, as
 * LMDB reads that one): both meta pages (magic, version, page size),
 * the file's size against the last page in use, then every page of the free list, the
 * main table and each named table: page numbers in range and each page used once, page
 * kinds and flags, node offsets and sizes inside the page, keys in order and within the
 * bounds the parent branch gives, overflow pages, depths and entry counts, and that no page
 * in the free list is also in use.
 *
 * Control plane only; maps the file read-only and never changes it. The caller holds the
 * store's lock, so no other nanodns process changes the file meanwhile.
 */

#include <stddef.h>

/* Checks `path` (a data.mdb). A missing or empty file is fine (LMDB makes a new one).
 * Returns 0, STORE_ERR_CORRUPT (store/store.h) with a sentence in err, -ENOMEM, or a
 * negative errno value when the file cannot be read (with a sentence). */
int store_check_file(const char *path, char *err, size_t errcap);
