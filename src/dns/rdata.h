#pragma once
/*
 * RDATA descriptor table: one row per RR type listing its fields, driving parsing from
 * presentation form, printing, reading from a message (with name decompression), checking,
 * and writing into a message (with name compression only for the RFC 1035 types, as RFC 3597
 * section 4 requires). Types without a row are handled in the RFC 3597 generic form
 * ("\# <len> <hex>"), which is also accepted for every known type (and then checked against
 * the descriptor).
 *
 * Internally RDATA is always kept uncompressed in wire form, names with their original case.
 * Pure functions over caller buffers; no allocation; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/text.h"
#include "util/cursor.h"
#include "util/wbuf.h"

struct dns_writer;

/* Field kinds. A descriptor is a list of these ending with DNS_RDF_END. */
enum dns_rdf {
    DNS_RDF_END = 0,
    DNS_RDF_U8,        /* decimal 0..255 */
    DNS_RDF_U16,       /* decimal 0..65535 */
    DNS_RDF_U32,       /* decimal 0..4294967295 */
    DNS_RDF_TIME,      /* u32; text also takes TTL units: 1w2d3h4m5s (SOA timers) */
    DNS_RDF_A,         /* 4 bytes, dotted quad */
    DNS_RDF_AAAA,      /* 16 bytes, RFC 4291 text */
    DNS_RDF_NAME_C,    /* domain name, compressed on output (RFC 1035 types only) */
    DNS_RDF_NAME,      /* domain name, never compressed on output */
    DNS_RDF_STR,       /* one <character-string> (length byte + up to 255 bytes) */
    DNS_RDF_STRS,      /* one or more character-strings up to the end (TXT, SPF) */
    DNS_RDF_HEX,       /* hex up to the end, blanks allowed between tokens, may not be empty */
    DNS_RDF_B64,       /* base64 up to the end, blanks allowed between tokens */
    DNS_RDF_TAG,       /* CAA tag: length byte + letters/digits */
    DNS_RDF_REST,      /* the remaining bytes, printed as one quoted string (CAA value) */
    DNS_RDF_SVCPARAMS, /* SVCB/HTTPS SvcParams (RFC 9460), up to the end */
    DNS_RDF_TYPE,      /* u16 RR type mnemonic (RRSIG type covered) */
    DNS_RDF_TIMESTAMP, /* u32; text YYYYMMDDHHmmSS or a plain number (RRSIG) */
    DNS_RDF_SALT,      /* length byte + hex, "-" for empty (NSEC3, NSEC3PARAM) */
    DNS_RDF_B32HEX,    /* length byte + base32hex without padding (NSEC3 next owner) */
    DNS_RDF_BITMAP,    /* RFC 4034 4.1.2 type bitmap, up to the end; may be empty */
    DNS_RDF_ALG,       /* u8 DNSSEC algorithm; text also takes its mnemonic (RSASHA256) */
    DNS_RDF_CERTTYPE,  /* u16 CERT type; text also takes its mnemonic (PGP, RFC 4398 2.2) */
};

#define DNS_RDF_MAX 10

struct dns_rdata_desc {
    uint16_t type;
    const char *name;            /* mnemonic, upper case */
    uint8_t fields[DNS_RDF_MAX]; /* enum dns_rdf values, DNS_RDF_END-terminated */
};

/* The row for `type`, or NULL when the type has none (generic form only). */
const struct dns_rdata_desc *dns_rdata_desc(uint16_t type);

/* Mnemonic or "TYPE<n>" (RFC 3597), case-insensitive. Returns 0 or ERR_TYPE. Meta types
 * that never appear in zones (OPT, TSIG, ...) parse too; callers decide what to accept. */
int dns_type_from_text(const char *s, size_t len, uint16_t *type);
/* "A", or "TYPE<n>" for types without a mnemonic. NUL-terminated; returns length or ERR_SPACE. */
int dns_type_to_text(uint16_t type, char *out, size_t cap);
/* Mnemonic or NULL. Also knows meta types: OPT, TSIG, TKEY, IXFR, AXFR, MAILA, MAILB, ANY. */
const char *dns_type_name(uint16_t type);

/* "IN", "CH", "HS", "NONE", "ANY" or "CLASS<n>". */
int dns_class_from_text(const char *s, size_t len, uint16_t *rclass);
int dns_class_to_text(uint16_t rclass, char *out, size_t cap);

/* Why a text parse failed, for messages like
 *   records[3].value: invalid IPv4 address "10.0.0.300"
 * `msg` holds the part after the colon; `offset` is the byte offset in the source text of the
 * token at fault (or of the end of the text when a field is missing). */
struct dns_rdata_error {
    size_t offset;
    char msg[160];
};

/*
 * Presentation form to wire RDATA, appended to `out`. Relative names get `origin` (a wire
 * name; NULL means the root, i.e. every name is absolute). Accepts the generic "\# len hex"
 * form for any type. Returns 0, or an error code with `err` filled (ERR_SYNTAX, ERR_RANGE,
 * ERR_NAME..., ERR_SPACE when `out` is full, ERR_FORMAT when generic data of a known type
 * does not match its descriptor).
 */
int dns_rdata_from_tokens(uint16_t type, const struct dns_tok *toks, size_t ntok,
                          const uint8_t *origin, struct wbuf *out, struct dns_rdata_error *err);
/* Tokenizes `text` (dns_text_tokenize) and calls dns_rdata_from_tokens. */
int dns_rdata_from_text(uint16_t type, const char *text, size_t len, const uint8_t *origin,
                        struct wbuf *out, struct dns_rdata_error *err);

/*
 * Wire RDATA to presentation form, NUL-terminated: names absolute with a trailing dot,
 * strings quoted, types without a descriptor (or data that does not match it) in the
 * generic "\# len hex" form. Returns the length or ERR_SPACE.
 */
int dns_rdata_to_text(uint16_t type, const uint8_t *rd, size_t rdlen, char *out, size_t cap);

/*
 * Reads `rdlen` bytes of RDATA at c->pos from a message (c->base is the start of the
 * message, so compression pointers resolve), checks them against the descriptor and
 * appends them uncompressed to `out`. Compressed names are accepted in every
 * name field. On success c->pos is just past the RDATA. Returns 0 or an error.
 */
int dns_rdata_unpack(uint16_t type, struct cursor *c, uint16_t rdlen, struct wbuf *out);

/* Where the SERIAL field of uncompressed SOA RDATA starts (after MNAME and RNAME, with the
 * 20 bytes of counters following exactly), or -1 when the RDATA is not such a SOA. */
long dns_rdata_soa_serial_at(const uint8_t *rd, size_t rdlen);

/* Checks uncompressed wire RDATA against the descriptor (always 0 for types without one,
 * except that the data must fit in 65535 bytes). */
int dns_rdata_check(uint16_t type, const uint8_t *rd, size_t rdlen);

/*
 * Writes RDLENGTH and RDATA into a message being built. Names in NAME_C fields are
 * compressed (and become compression targets); everything else is copied. Returns 0 or
 * ERR_SPACE (the writer's sticky error is left to the caller to roll back).
 */
int dns_rdata_write(struct dns_writer *dw, uint16_t type, const uint8_t *rd, uint16_t rdlen);

/*
 * NanoDNS TXT semantics: `value` is literal text (no quotes, no escapes), stored as
 * consecutive character-strings of at most 255 bytes ("" gives one empty string).
 */
int dns_rdata_txt_from_raw(const char *value, size_t len, struct wbuf *out);
