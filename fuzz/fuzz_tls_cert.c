/*
 * libFuzzer target: one DER certificate (the whole input) through
 * ot_tls_cert_write() into a JSON object.  The writer's output must stay a
 * well-formed document whatever the bytes, and nothing may read outside the
 * input.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "proto/tls-cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ot_jw w;
    if (ot_jw_init(&w, 512, 1 << 20) != 0)
        return 0;
    ot_jw_obj_open(&w, NULL);
    (void)ot_tls_cert_write(&w, data, size);
    ot_jw_obj_close(&w);
    ot_jw_free(&w);
    return 0;
}
