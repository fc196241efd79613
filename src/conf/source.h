#pragma once
/*
 * Where each item given to the snapshot builder came from, so that the builder's issues and
 * the checks after it can name it: a JSON record ("records[3]"), what a zone declares
 * ("zones[\"example.com\"]") or a line of a zone file ("db.example.com:12").
 *
 * A source is an int: records[i] is i, zone entry k is -(1 + k), and zone-file lines are
 * CONF_SOURCE_FILE + n for the n-th one registered. Also keeps the NS records added, for
 * the named-checkzone style check that in-zone name servers have addresses.
 * Owns its copies; single-threaded (control plane).
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_SOURCE_FILE (1 << 28)

struct conf_source_line {
    uint32_t file;
    uint32_t line;
};

struct conf_source_ns {
    size_t owner; /* offsets of the names in `names` */
    size_t target;
    int source;
};

struct conf_sources {
    const json_t *root;
    char **files;
    size_t nfiles, capfiles;
    struct conf_source_line *lines;
    size_t nlines, caplines;
    struct conf_source_ns *ns;
    size_t nns, capns;
    uint8_t *names;
    size_t names_len, names_cap;
};

void conf_sources_init(struct conf_sources *s, const json_t *root);
void conf_sources_deinit(struct conf_sources *s);

/* Registers a zone-file line; returns its source, or -1 when out of memory. */
int conf_sources_file(struct conf_sources *s, const char *file, unsigned line);

/* True for sources that are lines of a zone file. */
static inline bool conf_sources_is_file(int source)
{
    return source >= CONF_SOURCE_FILE;
}

/* "records[3]", "zones[\"x\"]" or "file:12". */
void conf_sources_name(const struct conf_sources *s, int source, char *out, size_t cap);

/* Remembers an NS record (owner and target are wire names). Returns 0 or -ENOMEM. */
int conf_sources_ns(struct conf_sources *s, const uint8_t *owner, const uint8_t *target,
                    int source);
