#pragma once
/*
 * DNS protocol constants: header flags, opcodes, RCODEs, classes, RR types, EDNS options.
 * Constants only; no code.
 */

#include <stdint.h>

#define DNS_HDR_LEN              12
#define DNS_MSG_MAX              65535
#define DNS_UDP_MIN              512
#define DNS_EDNS_DEFAULT_PAYLOAD 1232
#define DNS_TTL_MAX              0x7fffffffu

/* Header flag bits (second 16-bit word). */
#define DNS_FLAG_QR       0x8000u
#define DNS_FLAG_AA       0x0400u
#define DNS_FLAG_TC       0x0200u
#define DNS_FLAG_RD       0x0100u
#define DNS_FLAG_RA       0x0080u
#define DNS_FLAG_Z        0x0040u
#define DNS_FLAG_AD       0x0020u
#define DNS_FLAG_CD       0x0010u
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define DNS_RCODE(flags)  ((flags)&0xfu)

enum dns_opcode {
    DNS_OPCODE_QUERY = 0,
    DNS_OPCODE_IQUERY = 1,
    DNS_OPCODE_STATUS = 2,
    DNS_OPCODE_NOTIFY = 4,
    DNS_OPCODE_UPDATE = 5,
};

enum dns_rcode {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
    DNS_RCODE_YXDOMAIN = 6,
    DNS_RCODE_YXRRSET = 7,
    DNS_RCODE_NXRRSET = 8,
    DNS_RCODE_NOTAUTH = 9,
    DNS_RCODE_NOTZONE = 10,
    DNS_RCODE_BADVERS = 16, /* extended: needs OPT */
    DNS_RCODE_BADCOOKIE = 23,
};

enum dns_class {
    DNS_CLASS_IN = 1,
    DNS_CLASS_CH = 3,
    DNS_CLASS_HS = 4,
    DNS_CLASS_NONE = 254,
    DNS_CLASS_ANY = 255,
};

enum dns_type {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_MD = 3,
    DNS_TYPE_MF = 4,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_MB = 7,
    DNS_TYPE_MG = 8,
    DNS_TYPE_MR = 9,
    DNS_TYPE_NULL = 10,
    DNS_TYPE_WKS = 11,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_HINFO = 13,
    DNS_TYPE_MINFO = 14,
    DNS_TYPE_MX = 15,
    DNS_TYPE_TXT = 16,
    DNS_TYPE_RP = 17,
    DNS_TYPE_AFSDB = 18,
    DNS_TYPE_RT = 21,
    DNS_TYPE_SIG = 24,
    DNS_TYPE_KEY = 25,
    DNS_TYPE_PX = 26,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_LOC = 29,
    DNS_TYPE_NXT = 30,
    DNS_TYPE_SRV = 33,
    DNS_TYPE_NAPTR = 35,
    DNS_TYPE_KX = 36,
    DNS_TYPE_CERT = 37,
    DNS_TYPE_A6 = 38,
    DNS_TYPE_DNAME = 39,
    DNS_TYPE_OPT = 41,
    DNS_TYPE_APL = 42,
    DNS_TYPE_DS = 43,
    DNS_TYPE_SSHFP = 44,
    DNS_TYPE_IPSECKEY = 45,
    DNS_TYPE_RRSIG = 46,
    DNS_TYPE_NSEC = 47,
    DNS_TYPE_DNSKEY = 48,
    DNS_TYPE_DHCID = 49,
    DNS_TYPE_NSEC3 = 50,
    DNS_TYPE_NSEC3PARAM = 51,
    DNS_TYPE_TLSA = 52,
    DNS_TYPE_SMIMEA = 53,
    DNS_TYPE_CDS = 59,
    DNS_TYPE_CDNSKEY = 60,
    DNS_TYPE_OPENPGPKEY = 61,
    DNS_TYPE_CSYNC = 62,
    DNS_TYPE_ZONEMD = 63,
    DNS_TYPE_SVCB = 64,
    DNS_TYPE_HTTPS = 65,
    DNS_TYPE_SPF = 99,
    DNS_TYPE_NID = 104,
    DNS_TYPE_L32 = 105,
    DNS_TYPE_L64 = 106,
    DNS_TYPE_LP = 107,
    DNS_TYPE_EUI48 = 108,
    DNS_TYPE_EUI64 = 109,
    DNS_TYPE_TKEY = 249,
    DNS_TYPE_TSIG = 250,
    DNS_TYPE_IXFR = 251,
    DNS_TYPE_AXFR = 252,
    DNS_TYPE_MAILB = 253,
    DNS_TYPE_MAILA = 254,
    DNS_TYPE_ANY = 255,
    DNS_TYPE_URI = 256,
    DNS_TYPE_CAA = 257,
};

enum dns_edns_opt {
    DNS_EDNS_NSID = 3,
    DNS_EDNS_CLIENT_SUBNET = 8,
    DNS_EDNS_EXPIRE = 9,
    DNS_EDNS_COOKIE = 10,
    DNS_EDNS_KEEPALIVE = 11,
    DNS_EDNS_PADDING = 12,
    DNS_EDNS_EDE = 15,
};

#define DNS_EDNS_FLAG_DO 0x8000u
