/*
 * nanodns command line, as NanoDNS's (../shared/reference/nanodns-compat.md section 4):
 *   nanodns start [-c FILE] [--host H] [-p P] [--mgmt-host H] [--mgmt-port P]
 *                 [--log-level LEVEL] [--no-cache]
 *   nanodns init [--force] [OUTPUT]
 *   nanodns check FILE
 *   nanodns -V | --version
 * Usage errors exit with status 2, as Python's argparse does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "server/server.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/snap.h"

#ifndef NANODNS_VERSION
#define NANODNS_VERSION "0.0.0"
#endif

static const char main_usage[] = "usage: nanodns [-h] [-V] {start,init,check} ...\n"
                                 "\n"
                                 "nanodns: a NanoDNS-compatible authoritative DNS server\n"
                                 "\n"
                                 "commands:\n"
                                 "  start       start the DNS server\n"
                                 "  init        write the example config file\n"
                                 "  check       validate a config file and print a summary\n"
                                 "\n"
                                 "options:\n"
                                 "  -h, --help     show this help and exit\n"
                                 "  -V, --version  show the version and exit\n"
                                 "\n"
                                 "Run 'nanodns COMMAND --help' for the options of a command.\n";

static const char start_usage[] =
    "usage: nanodns start [-c FILE] [--host HOST] [-p PORT] [--mgmt-host HOST]\n"
    "                     [--mgmt-port PORT] [--log-level LEVEL] [--no-cache]\n"
    "\n"
    "Start the DNS server (UDP and TCP). Without --config it serves the embedded\n"
    "example config (the one 'nanodns init' writes). Stops on SIGINT or SIGTERM;\n"
    "SIGHUP reloads the config file.\n"
    "\n"
    "Started as root with server.user set, it switches to that user once its sockets\n"
    "are bound. Under systemd (contrib/nanodns.service) it reports readiness and\n"
    "reloads (Type=notify), feeds the watchdog (WatchdogSec=) and serves on the\n"
    "sockets a .socket unit passes (FileDescriptorName=dns, mgmt or update).\n"
    "\n"
    "options:\n"
    "  -c, --config FILE    JSON config file (NanoDNS format)\n"
    "      --host HOST      override server.host, the DNS listen address\n"
    "  -p, --port PORT      override server.port (0 picks a free port)\n"
    "      --mgmt-host HOST override server.mgmt_host\n"
    "      --mgmt-port PORT override server.mgmt_port (0 = off)\n"
    "      --log-level LEVEL  DEBUG, INFO, WARNING or ERROR\n"
    "      --no-cache       disable the forwarder cache\n"
    "  -h, --help           show this help and exit\n";

static const char init_usage[] =
    "usage: nanodns init [--force] [OUTPUT]\n"
    "\n"
    "Write the example config to OUTPUT (default: nanodns.json). An existing file\n"
    "is left alone unless --force is given.\n";

static const char check_usage[] =
    "usage: nanodns check FILE\n"
    "\n"
    "Validate a config file: exit 0 and print a summary, or exit 1 and print every\n"
    "error (JSON syntax errors with file:line:column, others with their JSON path).\n";

static int main_port(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

static int main_start(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"mgmt-host", required_argument, NULL, 'M'},
        {"mgmt-port", required_argument, NULL, 'P'},
        {"log-level", required_argument, NULL, 'l'},
        {"no-cache", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct conf_overrides ov = CONF_OVERRIDES_NONE;
    const char *config = NULL;
    enum log_level lvl;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'H':
            ov.host = optarg;
            break;
        case 'M':
            ov.mgmt_host = optarg;
            break;
        case 'p':
        case 'P':
            if (main_port(optarg, c == 'p' ? &ov.port : &ov.mgmt_port)) {
                fprintf(stderr, "nanodns start: invalid port '%s'\n", optarg);
                return 2;
            }
            break;
        case 'l':
            if (log_level_parse(optarg, &lvl)) {
                fprintf(stderr,
                        "nanodns start: invalid log level '%s' (DEBUG, INFO, "
                        "WARNING, ERROR)\n",
                        optarg);
                return 2;
            }
            ov.log_level = optarg;
            break;
        case 'n':
            ov.no_cache = true;
            break;
        case 'h':
            fputs(start_usage, stdout);
            return 0;
        default:
            fputs(start_usage, stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nanodns start: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return server_run(config, &ov);
}

/* Writes buf to path atomically: temporary file, fsync, rename, fsync of the folder. */
static int main_write_atomic(const char *path, const uint8_t *buf, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno ? errno : EIO;
            close(fd);
            unlink(tmp);
            return -e;
        }
        off += (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int main_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool force = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (c == 'f') {
            force = true;
        } else if (c == 'h') {
            fputs(init_usage, stdout);
            return 0;
        } else {
            fputs(init_usage, stderr);
            return 2;
        }
    }
    if (argc - optind > 1) {
        fputs(init_usage, stderr);
        return 2;
    }
    const char *out = optind < argc ? argv[optind] : "nanodns.json";
    struct stat st;
    if (!force && stat(out, &st) == 0) {
        fprintf(stderr, "FAIL %s already exists (use --force to overwrite it)\n", out);
        return 1;
    }
    size_t len;
    const uint8_t *buf = conf_example(&len);
    int r = main_write_atomic(out, buf, len);
    if (r) {
        fprintf(stderr, "FAIL cannot write %s: %s\n", out, strerror(-r));
        return 1;
    }
    printf("Example config written to: %s\n", out);
    return 0;
}

static int main_check(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(check_usage, stdout);
        return 0;
    }
    if (argc != 2) {
        fputs(check_usage, stderr);
        return 2;
    }
    struct conf_diag d;
    struct conf *conf = NULL;
    struct snap *snap = NULL;
    conf_diag_init(&d);
    int r = conf_load_file(argv[1], NULL, &conf, &snap, &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "%s %s\n",
                d.msgs[i].error ? "FAIL Config error:" : "WARN Config warning:", d.msgs[i].text);
    if (d.dropped)
        fprintf(stderr, "... and %zu more\n", d.dropped);
    size_t errors = d.errors;
    conf_diag_deinit(&d);
    if (r) {
        if (!errors)
            fprintf(stderr, "FAIL Config error: %s\n", err_str(r));
        return 1;
    }
    char upstream[4096];
    if (conf_format_pylist(&conf->server.upstream, upstream, sizeof(upstream)) < 0)
        snprintf(upstream, sizeof(upstream), "[...]");
    printf("OK Config is valid.\n");
    printf("  Records : %zu\n", conf->nrecords);
    printf("  Zones   : %zu\n", conf->nzones);
    printf("  Rewrites: %zu\n", conf->nrewrites);
    printf("  Upstream: %s\n", upstream);
    printf("  Listen  : %s:%lld\n", conf->server.host, (long long)conf->server.port);
    /* Not a NanoDNS line: only printed when the config uses zone files, so NanoDNS configs
     * get exactly NanoDNS's summary. */
    if (conf->nzonefiles)
        printf("  Zone files: %zu (%zu records)\n", conf->nzonefiles, conf->nfilerecords);
    snap_free(snap);
    conf_free(conf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("nanodns %s\n", NANODNS_VERSION);
        return 0;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(main_usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "start") == 0)
        return main_start(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return main_init(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return main_check(argc - 1, argv + 1);
    fprintf(stderr, "nanodns: unknown command '%s'\n\n%s", cmd, main_usage);
    return 2;
}
