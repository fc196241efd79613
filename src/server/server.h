#pragma once
/*
 * The running server: loads the config, binds the DNS sockets, publishes the first
 * snapshot, starts the UDP workers and the libuv loop (TCP, signals) and tears it all down
 * on SIGINT/SIGTERM. SIGHUP reloads the config file: a file that does not load is reported
 * and the running config keeps serving.
 */

#include "conf/conf.h"

/* Runs until a stop signal. `config_path` NULL serves the embedded example. Returns the
 * process exit status: 0 after a clean stop, 1 when the config or the sockets fail. */
int server_run(const char *config_path, const struct conf_overrides *ov);
