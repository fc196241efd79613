#pragma once
/*
 * Libraries loaded on first use (dlopen), for features that most servers never switch on:
 * libcurl (HA sync with peers) and libmicrohttpd (the management API). Linking them would
 * map them and their ~30 dependencies (GnuTLS, Kerberos, LDAP, ...) into every process at
 * exec: about 20 ms of start-up and several MB of private memory on a server that only
 * answers DNS. systemd loads its optional libraries the same way.
 *
 * The headers still come from the -dev packages (pkg-config --cflags), so the prototypes and
 * constants are checked at compile time; only the symbols are resolved at run time.
 */

#include <stdbool.h>
#include <stddef.h>

struct dl_sym {
    const char *name;
    void **slot; /* where the address goes */
};

struct dl_lib {
    const char *soname; /* "libcurl.so.4" */
    const char *package; /* the Debian package that ships it, for the error */
    const struct dl_sym *syms;
    size_t nsyms;
    /* filled in */
    bool tried;
    bool ok;
    char error[256];
};

/* Loads the library and resolves every symbol, once (thread-safe: a mutex serialises the
 * first calls). Returns 0, or -1 with lib->error saying which library or symbol is missing. */
int dl_load(struct dl_lib *lib);
