#!/usr/bin/env bash
# test_stack.sh on a throw-away PostgreSQL (tests/support/pg-tmp.sh).
OT_E2E_STORE=pg exec bash "$(dirname "$0")/test_stack.sh"
