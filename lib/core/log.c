#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

/* The only process-wide state in the core: the verbosity chosen at start-up. */
static enum ot_log_level log_level = OT_LOG_INFO;

void ot_log_set_level(enum ot_log_level level)
{
    log_level = level;
}

enum ot_log_level ot_log_get_level(void)
{
    return log_level;
}

void ot_log_(enum ot_log_level level, const char *func, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_level >= OT_LOG_DEBUG)
        fprintf(stderr, "otasuke: %s: %s: %s\n", names[level], func, line);
    else
        fprintf(stderr, "otasuke: %s: %s\n", names[level], line);
}
