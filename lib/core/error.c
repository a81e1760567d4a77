#include "otasuke/error.h"

const char *ot_strerror(int err)
{
    switch (err) {
    case OT_OK:
        return "success";
    case OT_ENOMEM:
        return "out of memory";
    case OT_EINVAL:
        return "invalid argument or malformed input";
    case OT_EIO:
        return "input/output error";
    case OT_ENOENT:
        return "not found";
    case OT_ELIMIT:
        return "configured limit reached";
    case OT_ETRUNC:
        return "input truncated";
    case OT_EUNSUPP:
        return "not supported";
    case OT_EPERM:
        return "not permitted";
    case OT_EAGAIN:
        return "try again";
    case OT_EEXIST:
        return "already exists";
    }
    return "unknown error";
}
