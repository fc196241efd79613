#pragma once
/*
 * Large allocations, straight from mmap: the name table, the arena blocks of a snapshot,
 * the TCP and forwarder state. The kernel zeroes their pages on first touch, so nothing is
 * written (and no page faulted in) ahead of use, which calloc's memset would do; each page
 * fault costs microseconds in a virtual machine and start-up pays for every one.
 *  - below HUGEMEM_LAZY_MIN: calloc;
 *  - from HUGEMEM_LAZY_MIN: mmap;
 *  - from HUGEMEM_MIN: mmap asking for transparent huge pages (a large zone's snapshot is a
 *    few dozen 2 MiB pages instead of thousands of 4 KiB ones: fewer page faults while
 *    building, fewer TLB misses while answering).
 */

#include <stdbool.h>
#include <stddef.h>

#define HUGEMEM_LAZY_MIN ((size_t)32 << 10)
#define HUGEMEM_MIN ((size_t)4 << 20)

/* Zeroed memory of `bytes`; with `populate` it is faulted in writable at once, in one
 * system call (for memory that is read before it is written). NULL when out of memory. */
void *hugemem_alloc(size_t bytes, bool populate);
/* Frees what hugemem_alloc returned; `bytes` as given to it. */
void hugemem_free(void *p, size_t bytes);
/* Asks for huge pages in the 2 MiB-aligned interior of [p, p + bytes) (malloc'd memory). */
void hugemem_advise(void *p, size_t bytes);
