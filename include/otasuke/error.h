/*
 * Error codes shared by every Otasuke component.
 *
 * Action functions return 0 on success or one of these negative values;
 * predicates return bool.  ot_strerror() gives a short English reason that is
 * safe to print to an operator.
 */
#ifndef OTASUKE_ERROR_H
#define OTASUKE_ERROR_H

enum ot_err {
    OT_OK = 0,
    OT_ENOMEM = -1,    /* an allocation failed */
    OT_EINVAL = -2,    /* bad argument or malformed input */
    OT_EIO = -3,       /* read/write on a file or socket failed */
    OT_ENOENT = -4,    /* no such file, key or object */
    OT_ELIMIT = -5,    /* a configured bound was hit */
    OT_ETRUNC = -6,    /* input ended before a complete unit */
    OT_EUNSUPP = -7,   /* well-formed but not supported */
    OT_EPERM = -8,     /* not permitted (privileges, credential) */
    OT_EAGAIN = -9,    /* try again later */
    OT_EEXIST = -10,   /* already exists */
};

const char *ot_strerror(int err);

#endif
