#pragma once
/*
 * Large allocations that ask for transparent huge pages: the name table and the arena
 * blocks of a large zone's snapshot (a few dozen 2 MiB pages instead of thousands of 4 KiB
 * ones: fewer page faults while building, fewer TLB misses while answering). Below
 * HUGEMEM_MIN they are plain malloc/calloc memory.
 */

#include <stdbool.h>
#include <stddef.h>

#define HUGEMEM_MIN ((size_t)4 << 20)

/* Zeroed memory of `bytes`; with `populate` it is faulted in writable at once (for memory
 * that is read before it is written). NULL when out of memory. */
void *hugemem_alloc(size_t bytes, bool populate);
/* Frees what hugemem_alloc returned; `bytes` as given to it. */
void hugemem_free(void *p, size_t bytes);
/* Asks for huge pages in the 2 MiB-aligned interior of [p, p + bytes) (malloc'd memory). */
void hugemem_advise(void *p, size_t bytes);
