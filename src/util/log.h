#pragma once
/*
 * Logging to stderr, one write(2) per line so lines from several threads never interleave.
 * Text format, as NanoDNS (Python logging) prints it:
 *     2026-11-22 03:30:07 [INFO] nanodns.server: NanoDNS listening on udp 127.0.0.1:5353
 * or JSON lines: {"time":"2026-11-22T03:30:07.123Z","level":"INFO","logger":...,"msg":...}.
 * The level and format may be changed at any time from any thread (relaxed atomics).
 */

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
    LOG_DEBUG = 10,
    LOG_INFO = 20,
    LOG_WARNING = 30,
    LOG_ERROR = 40,
};

enum log_format {
    LOG_FORMAT_TEXT,
    LOG_FORMAT_JSON,
};

void log_setup(enum log_level level, enum log_format format);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* Parses DEBUG, INFO, WARNING, WARN, ERROR (any case; TRACE means DEBUG, CRITICAL means
 * ERROR). Returns 0 or ERR_SYNTAX. */
int log_level_parse(const char *s, enum log_level *out);
/* Parses "text" or "json". Returns 0 or ERR_SYNTAX. */
int log_format_parse(const char *s, enum log_format *out);

void log_write(enum log_level level, const char *logger, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vwrite(enum log_level level, const char *logger, const char *fmt, va_list ap);

#define LOG_AT(level, logger, ...)                                                                 \
    do {                                                                                           \
        if (log_enabled(level))                                                                    \
            log_write(level, logger, __VA_ARGS__);                                                 \
    } while (0)
#define log_debug(logger, ...)   LOG_AT(LOG_DEBUG, logger, __VA_ARGS__)
#define log_info(logger, ...)    LOG_AT(LOG_INFO, logger, __VA_ARGS__)
#define log_warning(logger, ...) LOG_AT(LOG_WARNING, logger, __VA_ARGS__)
#define log_error(logger, ...)   LOG_AT(LOG_ERROR, logger, __VA_ARGS__)
