#include "util/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"

static atomic_int log_cur_level = LOG_INFO;
static atomic_int log_cur_format = LOG_FORMAT_TEXT;

void log_setup(enum log_level level, enum log_format format)
{
    atomic_store_explicit(&log_cur_level, level, memory_order_relaxed);
    atomic_store_explicit(&log_cur_format, format, memory_order_relaxed);
}

void log_set_level(enum log_level level)
{
    atomic_store_explicit(&log_cur_level, level, memory_order_relaxed);
}

bool log_enabled(enum log_level level)
{
    return (int)level >= atomic_load_explicit(&log_cur_level, memory_order_relaxed);
}

int log_level_parse(const char *s, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {
        {"DEBUG", LOG_DEBUG},     {"TRACE", LOG_DEBUG},  {"INFO", LOG_INFO},
        {"WARNING", LOG_WARNING}, {"WARN", LOG_WARNING}, {"ERROR", LOG_ERROR},
        {"CRITICAL", LOG_ERROR},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return ERR_SYNTAX;
}

int log_format_parse(const char *s, enum log_format *out)
{
    if (strcasecmp(s, "text") == 0)
        *out = LOG_FORMAT_TEXT;
    else if (strcasecmp(s, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return ERR_SYNTAX;
    return 0;
}

static const char *log_level_name(enum log_level level)
{
    switch (level) {
    case LOG_DEBUG:
        return "DEBUG";
    case LOG_INFO:
        return "INFO";
    case LOG_WARNING:
        return "WARNING";
    case LOG_ERROR:
        return "ERROR";
    }
    return "INFO";
}

/* Appends s to buf as the body of a JSON string (escaped, without the quotes). */
static size_t log_json_escape(char *buf, size_t pos, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s && pos + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)ch;
        } else if (ch == '\n') {
            buf[pos++] = '\\';
            buf[pos++] = 'n';
        } else if (ch < 0x20 || ch == 0x7f) {
            buf[pos++] = '\\';
            buf[pos++] = 'u';
            buf[pos++] = '0';
            buf[pos++] = '0';
            buf[pos++] = hex[ch >> 4];
            buf[pos++] = hex[ch & 15];
        } else {
            buf[pos++] = (char)ch;
        }
    }
    return pos;
}

/* The time stamp down to the second, formatted once per second per thread: localtime_r and
 * gmtime_r take glibc's process-wide tz lock, which UDP workers logging every query would
 * otherwise contend for. */
static const char *log_stamp(time_t sec, bool utc)
{
    static _Thread_local time_t last = (time_t)-1;
    static _Thread_local bool last_utc;
    static _Thread_local char ts[64];
    if (sec != last || utc != last_utc) {
        struct tm tm;
        if (utc)
            gmtime_r(&sec, &tm);
        else
            localtime_r(&sec, &tm);
        strftime(ts, sizeof(ts), utc ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
        last = sec;
        last_utc = utc;
    }
    return ts;
}

void log_vwrite(enum log_level level, const char *logger, const char *fmt, va_list ap)
{
    char msg[2048];
    char line[4608];
    struct timeval tv;
    size_t n;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    gettimeofday(&tv, NULL);

    if (atomic_load_explicit(&log_cur_format, memory_order_relaxed) == LOG_FORMAT_JSON) {
        const char *ts = log_stamp(tv.tv_sec, true);
        n = (size_t)snprintf(line, sizeof(line),
                             "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"logger\":\"", ts,
                             (long)(tv.tv_usec / 1000), log_level_name(level));
        n = log_json_escape(line, n, sizeof(line) - 16, logger);
        memcpy(line + n, "\",\"msg\":\"", 9);
        n += 9;
        n = log_json_escape(line, n, sizeof(line) - 4, msg);
        memcpy(line + n, "\"}\n", 3);
        n += 3;
    } else {
        const char *ts = log_stamp(tv.tv_sec, false);
        int k = snprintf(line, sizeof(line), "%s [%s] %s: %s\n", ts, log_level_name(level), logger,
                         msg);
        n = k < 0 ? 0 : (size_t)k;
        if (n >= sizeof(line)) {
            n = sizeof(line) - 1;
            line[n - 1] = '\n';
        }
    }
    /* One write per line; a short write to a pipe under load is retried. */
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(STDERR_FILENO, line + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

void log_write(enum log_level level, const char *logger, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, logger, fmt, ap);
    va_end(ap);
}
