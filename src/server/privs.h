#pragma once
/*
 * Running as an unprivileged user (server.user, server.group): the names are looked up at
 * start, before anything is bound, so that a typo fails at once; the switch happens after
 * every socket is bound, the state store is open and the TLS files are read, i.e. after
 * everything that needs root.
 *
 *   root, user set         supplementary groups (the user's, from the group database), gid
 *                          (server.group, or the user's primary group), uid; then a check
 *                          that root cannot be regained (PR_SET_NO_NEW_PRIVS is set at the
 *                          look-up already, so that every thread has it)
 *   root, only group set   supplementary groups and gid; the user stays root
 *   not root               nothing to switch: server.user and server.group must name the
 *                          user and group the process already runs as, or start fails
 *
 * glibc applies setgroups, setgid and setuid to every thread of the process, so threads
 * started before the switch (the UDP workers, the HTTP waiters) switch too.
 *
 * Threads: the start-up thread. No memory is handed out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs {
    bool set_user;    /* switch uid (root, server.user set) */
    bool set_group;   /* switch gid and supplementary groups (root, either key set) */
    bool init_groups; /* the user has a passwd entry: take its supplementary groups */
    uid_t uid;
    gid_t gid;
    char user[64];  /* as the passwd entry spells it, for initgroups and logs */
    char group[64]; /* for logs */
};

/* Looks up `user` and `group` ("" = not set; names or numbers) and decides what privs_drop
 * will do; when it will switch the user, sets PR_SET_NO_NEW_PRIVS (call it before any thread
 * starts). Returns 0, or -1 with a sentence in err (an unknown name; a non-root process asked
 * to become someone else). */
int privs_resolve(const char *user, const char *group, struct privs *p, char *err, size_t errcap);

/* true when privs_drop has anything to do. */
bool privs_active(const struct privs *p);

/* Gives the folder `dir` and the entries in it (not recursively: the state store keeps two
 * files there) to the user and group, so that the store stays writable after the switch and
 * after the next start. Nothing when no uid switch is planned or `dir` is missing. Returns 0,
 * or -1 with a sentence in err. */
int privs_chown_dir(const struct privs *p, const char *dir, char *err, size_t errcap);

/* Switches groups and user as privs_resolve decided. Returns 0, or -1 with a sentence in err
 * (the process must then stop: it may be half switched). */
int privs_drop(const struct privs *p, char *err, size_t errcap);
