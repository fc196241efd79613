#include "net/qlog.h"

#include "dns/name.h"
#include "dns/rdata.h"
#include "util/log.h"

void net_qlog_write(const struct query_info *info)
{
    if (!info->has_question || !log_enabled(LOG_INFO))
        return;
    char name[DNS_NAME_MAXLEN * 4 + 2];
    char type[16];
    uint8_t lower[DNS_NAME_MAXLEN];
    /* NanoDNS logs the name lower-cased and without the final dot. */
    dns_name_copy_lower(lower, info->qname);
    if (dns_name_to_text(lower, name, sizeof(name), DNS_NAME_TEXT_NODOT) < 0)
        name[0] = 0;
    if (dns_type_to_text(info->qtype, type, sizeof(type)) < 0)
        type[0] = 0;
    log_info("nanodns.handler", "Query: %s %s", name, type);
}
