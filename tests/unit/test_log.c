/*
 * Logging (src/util/log.c): level and format names, the level filter, and the two line
 * formats as written to stderr (captured through a pipe).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/err.h"
#include "util/log.h"

static void test_level_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum log_level level;
    } good[] = {
        {"DEBUG", LOG_DEBUG},  {"debug", LOG_DEBUG},     {"Debug", LOG_DEBUG},
        {"TRACE", LOG_DEBUG},  {"trace", LOG_DEBUG},     {"INFO", LOG_INFO},
        {"info", LOG_INFO},    {"WARNING", LOG_WARNING}, {"Warning", LOG_WARNING},
        {"WARN", LOG_WARNING}, {"warn", LOG_WARNING},    {"ERROR", LOG_ERROR},
        {"error", LOG_ERROR},  {"CRITICAL", LOG_ERROR},  {"critical", LOG_ERROR},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        enum log_level l = (enum log_level) - 1;
        assert_int_equal(log_level_parse(good[i].text, &l), 0);
        assert_int_equal(l, good[i].level);
    }
    static const char *const bad[] = {"",   "DEBUGX", "INF",   "WARNINGS", "FATAL",
                                      "10", " INFO",  "INFO ", "notset",   "ERR"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum log_level l = LOG_INFO;
        assert_int_equal(log_level_parse(bad[i], &l), ERR_SYNTAX);
        assert_int_equal(l, LOG_INFO); /* untouched */
    }
}

static void test_format_parse(void **state)
{
    (void)state;
    enum log_format f = LOG_FORMAT_JSON;
    assert_int_equal(log_format_parse("text", &f), 0);
    assert_int_equal(f, LOG_FORMAT_TEXT);
    assert_int_equal(log_format_parse("JSON", &f), 0);
    assert_int_equal(f, LOG_FORMAT_JSON);
    assert_int_equal(log_format_parse("Text", &f), 0);
    assert_int_equal(f, LOG_FORMAT_TEXT);
    assert_int_equal(log_format_parse("xml", &f), ERR_SYNTAX);
    assert_int_equal(log_format_parse("", &f), ERR_SYNTAX);
    assert_int_equal(log_format_parse("jsonl", &f), ERR_SYNTAX);
    assert_int_equal(f, LOG_FORMAT_TEXT);
}

static void test_enabled(void **state)
{
    (void)state;
    log_set_level(LOG_WARNING);
    assert_false(log_enabled(LOG_DEBUG));
    assert_false(log_enabled(LOG_INFO));
    assert_true(log_enabled(LOG_WARNING));
    assert_true(log_enabled(LOG_ERROR));
    log_setup(LOG_DEBUG, LOG_FORMAT_TEXT);
    assert_true(log_enabled(LOG_DEBUG));
    log_set_level(LOG_INFO);
}

/* Runs `fn` with stderr going into a pipe; returns what was written. */
static size_t capture(void (*fn)(void), char *out, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
    close(fds[1]);
    fn();
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fds[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    close(fds[0]);
    out[n] = 0;
    return n;
}

static void emit_text(void)
{
    log_setup(LOG_WARNING, LOG_FORMAT_TEXT);
    log_info("nanodns.test", "hidden %d", 1);
    log_warning("nanodns.test", "shown %d", 2);
    log_error("nanodns.server", "Failed to bind %s", "udp 127.0.0.1:53");
}

static void test_text_lines(void **state)
{
    (void)state;
    char out[4096];
    capture(emit_text, out, sizeof(out));
    /* "YYYY-MM-DD HH:MM:SS [LEVEL] logger: message\n", one line each */
    char *second = strchr(out, '\n');
    assert_non_null(second);
    second++;
    assert_non_null(strchr(second, '\n'));
    assert_string_equal(strchr(second, '\n') + 1, "");
    int y, mo, d, h, mi, s, n = 0;
    assert_int_equal(sscanf(out, "%4d-%2d-%2d %2d:%2d:%2d %n", &y, &mo, &d, &h, &mi, &s, &n), 6);
    assert_int_equal(n, 20);
    assert_memory_equal(out + 19, " [WARNING] nanodns.test: shown 2\n", 33);
    assert_int_equal(sscanf(second, "%4d-%2d-%2d %2d:%2d:%2d %n", &y, &mo, &d, &h, &mi, &s, &n), 6);
    assert_string_equal(second + 19, " [ERROR] nanodns.server: Failed to bind udp 127.0.0.1:53\n");
    log_setup(LOG_INFO, LOG_FORMAT_TEXT);
}

static void emit_json(void)
{
    log_setup(LOG_DEBUG, LOG_FORMAT_JSON);
    log_debug("nanodns.query", "Query: %s \"q\" \\ tab\there\nnext %c", "web.internal.lan A", 1);
}

static void test_json_lines(void **state)
{
    (void)state;
    char out[4096];
    size_t n = capture(emit_json, out, sizeof(out));
    log_setup(LOG_INFO, LOG_FORMAT_TEXT);
    assert_true(n > 0);
    assert_int_equal(out[n - 1], '\n');
    assert_null(strchr(out, '\n') + 1 < out + n ? strchr(strchr(out, '\n') + 1, '\n') : NULL);
    json_error_t err;
    json_t *j = json_loadb(out, n, 0, &err);
    if (!j)
        fail_msg("not JSON (%s): %s", err.text, out);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "DEBUG");
    assert_string_equal(json_string_value(json_object_get(j, "logger")), "nanodns.query");
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "Query: web.internal.lan A \"q\" \\ tab\there\nnext \x01");
    const char *t = json_string_value(json_object_get(j, "time"));
    assert_non_null(t);
    int y, mo, d, h, mi, s, ms;
    assert_int_equal(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &y, &mo, &d, &h, &mi, &s, &ms), 7);
    assert_true(y >= 2024);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_parse), cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_enabled),     cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_json_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
