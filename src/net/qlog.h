#pragma once
/*
 * The per-query log line, as NanoDNS writes it (logger nanodns.handler, level INFO):
 *     Query: web.internal.lan A
 * Called by the transports after the snapshot is released (logging is I/O). Any thread.
 */

#include "query/query.h"

void net_qlog_write(const struct query_info *info);
