/*
 * Operator log: one line per message on stderr, prefixed with the level and
 * the function that logged it (as OpenBSD daemons do), so a message can be
 * traced to its source.  Packet-level problems are never logged: they are
 * counted (see the decoder's counters) so a hostile stream cannot flood the log.
 */
#ifndef OT_CORE_LOG_H
#define OT_CORE_LOG_H

enum ot_log_level { OT_LOG_ERROR = 0, OT_LOG_WARN, OT_LOG_INFO, OT_LOG_DEBUG };

void ot_log_set_level(enum ot_log_level level);
enum ot_log_level ot_log_get_level(void);
void ot_log_(enum ot_log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ot_err(...)   ot_log_(OT_LOG_ERROR, __func__, __VA_ARGS__)
#define ot_warn(...)  ot_log_(OT_LOG_WARN, __func__, __VA_ARGS__)
#define ot_info(...)  ot_log_(OT_LOG_INFO, __func__, __VA_ARGS__)
#define ot_debug(...) ot_log_(OT_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
