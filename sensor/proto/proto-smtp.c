/* PLACEHOLDER: the smtp parser is being written; until then it recognises nothing. */
#include "proto/proto.h"

static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data,
                                  size_t len)
{
    return OT_PROBE_NO;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    return 0;
}

const struct ot_proto_parser ot_proto_smtp = {
    .id = OT_APP_SMTP,
    .name = "smtp",
    .transports = OT_PROTO_TCP,
    .state_size = 0,
    .probe = probe,
    .parse = parse,
};
