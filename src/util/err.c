#include "util/err.h"

#include <string.h>

const char *err_str(int code)
{
    switch (code) {
    case 0:
        return "success";
    case ERR_FORMAT:
        return "malformed input";
    case ERR_SPACE:
        return "no space left in buffer";
    case ERR_TRUNC:
        return "input truncated";
    case ERR_NAME:
        return "invalid domain name";
    case ERR_LABEL:
        return "label longer than 63 bytes";
    case ERR_NAME_LONG:
        return "name longer than 255 bytes";
    case ERR_PTR:
        return "bad compression pointer";
    case ERR_RANGE:
        return "number out of range";
    case ERR_SYNTAX:
        return "syntax error";
    case ERR_TYPE:
        return "unknown record type";
    case ERR_UNSUPPORTED:
        return "not supported";
    case ERR_EXISTS:
        return "already exists";
    case ERR_NOTFOUND:
        return "not found";
    case ERR_LIMIT:
        return "limit reached";
    case ERR_NOMEM:
        return "out of memory";
    case ERR_CONFLICT:
        return "conflicting data";
    default:
        break;
    }
    if (code < 0 && code > -1000)
        return strerror(-code);
    return "unknown error";
}
