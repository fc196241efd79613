#include "util/dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

int dl_load(struct dl_lib *lib)
{
    pthread_mutex_lock(&dl_lock);
    if (!lib->tried) {
        lib->tried = true;
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            snprintf(lib->error, sizeof(lib->error), "cannot load %s (Debian package %s): %s",
                     lib->soname, lib->package, why ? why : "unknown error");
        } else {
            lib->ok = true;
            for (size_t i = 0; i < lib->nsyms; i++) {
                void *p = dlsym(h, lib->syms[i].name);
                if (!p) {
                    snprintf(lib->error, sizeof(lib->error), "%s has no symbol %s",
                             lib->soname, lib->syms[i].name);
                    lib->ok = false;
                    break;
                }
                *lib->syms[i].slot = p;
            }
            /* The handle stays open for the life of the process. */
        }
    }
    int r = lib->ok ? 0 : -1;
    pthread_mutex_unlock(&dl_lock);
    return r;
}
