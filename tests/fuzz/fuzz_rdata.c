/*
 * Fuzz target for dns/rdata*.c. The first two bytes are the RR type (big-endian); the rest
 * is used twice:
 *  (a) as presentation text: when it parses, the wire form must pass dns_rdata_check, print,
 *      and the printed text must parse back to the same wire form;
 *  (b) as a DNS message whose RDATA starts after a 12-byte header: when it unpacks, the
 *      result must pass the check and print, and writing it into a message (with name
 *      compression) and unpacking that again must give the same RDATA.
 * Any violation is a bug in the module, so it aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Big enough for any RDATA and its text (at most 65536 bitmap types of 10 characters). */
static uint8_t wire1[65536 + 1024], wire2[65536 + 1024], msg[65536 + 1024];
static char text[1 << 20];

static void fuzz_rdata_fail(const char *what, uint16_t type, const char *detail)
{
    fprintf(stderr, "fuzz_rdata: %s (type %u): %s\n", what, type, detail ? detail : "");
    abort();
}

static void fuzz_rdata_text(uint16_t type, const char *s, size_t len)
{
    struct wbuf w;
    struct dns_rdata_error e;
    wbuf_init(&w, wire1, sizeof(wire1));
    if (dns_rdata_from_text(type, s, len, NULL, &w, &e) != 0)
        return;
    size_t n1 = w.pos;
    if (dns_rdata_check(type, wire1, n1) != 0)
        fuzz_rdata_fail("parsed data fails the check", type, NULL);
    int t = dns_rdata_to_text(type, wire1, n1, text, sizeof(text));
    if (t < 0)
        fuzz_rdata_fail("parsed data does not print", type, NULL);
    wbuf_init(&w, wire2, sizeof(wire2));
    if (dns_rdata_from_text(type, text, (size_t)t, NULL, &w, &e) != 0)
        fuzz_rdata_fail("printed text does not parse", type, e.msg);
    if (w.pos != n1 || memcmp(wire1, wire2, n1) != 0)
        fuzz_rdata_fail("printed text parses to other data", type, text);
}

/* Compression matches names case-insensitively (dns_writer_name), so a compressed name
 * may come back in the case of the earlier name it points to: for types with compressed
 * names compare ignoring ASCII case, for all others byte for byte. */
static bool fuzz_rdata_same(uint16_t type, const uint8_t *a, const uint8_t *b, size_t n)
{
    const struct dns_rdata_desc *d = dns_rdata_desc(type);
    bool fold = false;
    for (const uint8_t *f = d ? d->fields : (const uint8_t *)""; *f != DNS_RDF_END; f++)
        fold |= *f == DNS_RDF_NAME_C;
    if (!fold)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (dns_lower(a[i]) != dns_lower(b[i]))
            return false;
    return true;
}

static void fuzz_rdata_wire(uint16_t type, const uint8_t *m, size_t len)
{
    struct cursor c;
    struct wbuf w;
    size_t start = len < 12 ? len : 12;
    size_t rdlen = len - start > 65535 ? 65535 : len - start;
    cursor_init(&c, m, len);
    c.pos = start;
    wbuf_init(&w, wire1, sizeof(wire1));
    if (dns_rdata_unpack(type, &c, (uint16_t)rdlen, &w) != 0)
        return;
    size_t n1 = w.pos;
    if (c.pos != start + rdlen)
        fuzz_rdata_fail("unpack left the cursor elsewhere", type, NULL);
    if (dns_rdata_check(type, wire1, n1) != 0)
        fuzz_rdata_fail("unpacked data fails the check", type, NULL);
    if (dns_rdata_to_text(type, wire1, n1, text, sizeof(text)) < 0)
        fuzz_rdata_fail("unpacked data does not print", type, NULL);

    /* Write it after a question whose name the RDATA names may be compressed against. */
    static const uint8_t qname[] = {4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    struct dns_writer dw;
    dns_writer_init(&dw, msg, sizeof(msg), sizeof(msg));
    dns_writer_header(&dw, 0, 0);
    if (dns_writer_question(&dw, qname, type, 1) != 0)
        fuzz_rdata_fail("question does not fit", type, NULL);
    size_t at = dns_writer_len(&dw);
    if (dns_rdata_write(&dw, type, wire1, (uint16_t)n1) != 0)
        fuzz_rdata_fail("write failed", type, NULL);
    uint16_t written = (uint16_t)(msg[at] << 8 | msg[at + 1]);
    if (at + 2 + written != dns_writer_len(&dw))
        fuzz_rdata_fail("RDLENGTH does not match what was written", type, NULL);
    cursor_init(&c, msg, dns_writer_len(&dw));
    c.pos = at + 2;
    wbuf_init(&w, wire2, sizeof(wire2));
    if (dns_rdata_unpack(type, &c, written, &w) != 0)
        fuzz_rdata_fail("written data does not unpack", type, NULL);
    if (w.pos != n1 || !fuzz_rdata_same(type, wire1, wire2, n1))
        fuzz_rdata_fail("written data unpacks to other data", type, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint16_t type = (uint16_t)(data[0] << 8 | data[1]);
    fuzz_rdata_text(type, (const char *)data + 2, size - 2);
    fuzz_rdata_wire(type, data + 2, size - 2);
    return 0;
}
