#include "util/hugemem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGEMEM_PAGE ((uintptr_t)2 << 20)

/* Under AddressSanitizer the middle tier stays on the heap, where overflows are caught. */
#if defined(__SANITIZE_ADDRESS__)
#define HUGEMEM_MMAP_MIN HUGEMEM_MIN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HUGEMEM_MMAP_MIN HUGEMEM_MIN
#endif
#endif
#ifndef HUGEMEM_MMAP_MIN
#define HUGEMEM_MMAP_MIN HUGEMEM_LAZY_MIN
#endif

void *hugemem_alloc(size_t bytes, bool populate)
{
    if (bytes < HUGEMEM_MMAP_MIN)
        return calloc(1, bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (bytes >= HUGEMEM_MIN)
        madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without THP, plain pages */
#ifdef MADV_POPULATE_WRITE
    /* Read-before-write memory would otherwise map the shared zero page first and copy it
     * on the first write. */
    if (populate)
        madvise(p, bytes, MADV_POPULATE_WRITE);
#else
    (void)populate;
#endif
    return p;
}

void hugemem_free(void *p, size_t bytes)
{
    if (!p)
        return;
    if (bytes < HUGEMEM_MMAP_MIN)
        free(p);
    else
        munmap(p, bytes);
}

void hugemem_advise(void *p, size_t bytes)
{
    uintptr_t lo = ((uintptr_t)p + HUGEMEM_PAGE - 1) & ~(HUGEMEM_PAGE - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(HUGEMEM_PAGE - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}
