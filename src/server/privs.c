/*
 * Dropping root (server/privs.h). The order is the classic one: supplementary groups and gid
 * while still root (afterwards they cannot be changed), uid last. setresuid/setresgid set the
 * real, effective and saved ids together, so no saved id lets root back in; the check after
 * the switch proves it rather than trusting it. The kernel clears every capability when all
 * uids leave 0, which leaves CapEff at 0 (unless systemd granted ambient capabilities to a
 * non-root start, where nothing is switched).
 *
 * PR_SET_NO_NEW_PRIVS is set when a switch is planned: nanodns never executes a program, so
 * it costs nothing, and it keeps a set-user-ID binary from handing privileges back to a
 * compromised process. It does not affect dlopen (libmicrohttpd and libcurl are loaded
 * later) nor the switch itself. It is set per thread and inherited by the threads started
 * later, so it is set at the look-up, before any thread runs, not at the switch.
 */
#include "server/privs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* A name that is all digits is a number (useradd refuses such names). */
static bool privs_numeric(const char *s, unsigned long *out)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v >= (unsigned long)(uid_t)-1)
        return false;
    *out = v;
    return true;
}

/* Finds the user: 0, or -1 with err. *has_pw tells whether the group database knows it. */
static int privs_user(const char *user, struct privs *p, gid_t *primary, bool *has_pw, char *err,
                      size_t errcap)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    unsigned long num;
    int e = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
    if (!res && privs_numeric(user, &num))
        e = getpwuid_r((uid_t)num, &pw, buf, sizeof(buf), &res);
    if (res) {
        p->uid = res->pw_uid;
        *primary = res->pw_gid;
        *has_pw = true;
        snprintf(p->user, sizeof(p->user), "%s", res->pw_name);
        return 0;
    }
    if (privs_numeric(user, &num)) {
        /* A uid without a passwd entry (a container's): usable, with server.group. */
        p->uid = (uid_t)num;
        *has_pw = false;
        snprintf(p->user, sizeof(p->user), "%s", user);
        return 0;
    }
    snprintf(err, errcap, "server.user: no such user \"%s\"%s%s", user, e ? ": " : "",
             e ? strerror(e) : "");
    return -1;
}

static int privs_group(const char *group, struct privs *p, char *err, size_t errcap)
{
    struct group gr, *res = NULL;
    char buf[8192];
    unsigned long num;
    int e = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
    if (!res && privs_numeric(group, &num))
        e = getgrgid_r((gid_t)num, &gr, buf, sizeof(buf), &res);
    if (res) {
        p->gid = res->gr_gid;
        snprintf(p->group, sizeof(p->group), "%s", res->gr_name);
        return 0;
    }
    if (privs_numeric(group, &num)) {
        p->gid = (gid_t)num;
        snprintf(p->group, sizeof(p->group), "%s", group);
        return 0;
    }
    snprintf(err, errcap, "server.group: no such group \"%s\"%s%s", group, e ? ": " : "",
             e ? strerror(e) : "");
    return -1;
}

int privs_resolve(const char *user, const char *group, struct privs *p, char *err, size_t errcap)
{
    memset(p, 0, sizeof(*p));
    bool want_user = user && *user, want_group = group && *group;
    if (!want_user && !want_group)
        return 0;
    gid_t primary = 0;
    bool has_pw = false;
    if (want_user && privs_user(user, p, &primary, &has_pw, err, errcap))
        return -1;
    if (want_group) {
        if (privs_group(group, p, err, errcap))
            return -1;
    } else if (has_pw) {
        p->gid = primary;
        snprintf(p->group, sizeof(p->group), "%u", (unsigned)primary);
        struct group gr, *res = NULL;
        char buf[8192];
        if (getgrgid_r(primary, &gr, buf, sizeof(buf), &res) == 0 && res)
            snprintf(p->group, sizeof(p->group), "%s", res->gr_name);
    } else {
        snprintf(err, errcap,
                 "server.user: user %s has no passwd entry, so no primary group: set "
                 "server.group too",
                 user);
        return -1;
    }
    if (geteuid() == 0) {
        p->set_user = want_user && p->uid != 0;
        p->set_group = true;
        p->init_groups = want_user && has_pw;
        if (p->set_user && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
            snprintf(err, errcap, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    /* Without root nothing can be switched: fine when it names who we are already. */
    if (want_user && (p->uid != getuid() || p->uid != geteuid())) {
        snprintf(err, errcap,
                 "server.user is \"%s\" but nanodns was started as uid %u, not as root: it "
                 "cannot switch users. Start it as root or as %s, or set server.user to \"\"",
                 user, (unsigned)geteuid(), p->user);
        return -1;
    }
    if (want_group && (p->gid != getgid() || p->gid != getegid())) {
        snprintf(err, errcap,
                 "server.group is \"%s\" but nanodns was started with gid %u, not as root: it "
                 "cannot switch groups. Start it as root or with that group, or set "
                 "server.group to \"\"",
                 p->group, (unsigned)getegid());
        return -1;
    }
    return 0;
}

bool privs_active(const struct privs *p)
{
    return p->set_user || p->set_group;
}

int privs_chown_dir(const struct privs *p, const char *dir, char *err, size_t errcap)
{
    if (!p->set_user || !dir)
        return 0;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errcap, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (fchown(dfd, p->uid, p->gid) < 0) {
        snprintf(err, errcap, "cannot give %s to %s: %s", dir, p->user, strerror(errno));
        close(dfd);
        return -1;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        snprintf(err, errcap, "%s: %s", dir, strerror(errno));
        close(dfd);
        return -1;
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (fchownat(dirfd(d), de->d_name, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) < 0) {
            snprintf(err, errcap, "cannot give %s/%s to %s: %s", dir, de->d_name, p->user,
                     strerror(errno));
            r = -1;
        }
    }
    closedir(d);
    return r;
}

int privs_drop(const struct privs *p, char *err, size_t errcap)
{
    if (!privs_active(p))
        return 0;
    int r = p->init_groups ? initgroups(p->user, p->gid) : setgroups(1, &p->gid);
    if (r < 0) {
        snprintf(err, errcap, "cannot set the supplementary groups: %s", strerror(errno));
        return -1;
    }
    if (setresgid(p->gid, p->gid, p->gid) < 0) {
        snprintf(err, errcap, "cannot switch to group %s: %s", p->group, strerror(errno));
        return -1;
    }
    if (!p->set_user)
        return 0;
    if (setresuid(p->uid, p->uid, p->uid) < 0) {
        snprintf(err, errcap, "cannot switch to user %s: %s", p->user, strerror(errno));
        return -1;
    }
    /* Proof, not trust: a process that can become root again has dropped nothing. */
    if (setuid(0) == 0 || (p->gid != 0 && setgid(0) == 0)) {
        snprintf(err, errcap, "root privileges could be regained after switching to %s", p->user);
        return -1;
    }
    return 0;
}
