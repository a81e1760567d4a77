#!/usr/bin/env bash
# docs/configuration.md lists every configuration key with its default and
# help exactly as `otasuke-sensor -T -v` prints them: fails when a key was
# added or changed without regenerating the document (scripts/config-doc.sh).
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
SRC=${OT_SRC:?OT_SRC not set}
[ -x "$BIN/otasuke-sensor" ] || { echo "FAIL: $BIN/otasuke-sensor not built"; exit 1; }
# The registry's file name is part of a default: only compare where it is the usual one.
if [ ! -r /usr/share/ieee-data/oui.csv ] && [ -r /usr/share/ieee-data/oui.txt ]; then
    echo "SKIP: only oui.txt of ieee-data is installed: the asset.oui-file default differs here"
    exit 77
fi
if "$SRC/scripts/config-doc.sh" --check "$BIN/otasuke-sensor"; then
    echo "ok   docs/configuration.md lists every key as -T -v prints it"
else
    echo "FAIL docs/configuration.md is stale (run scripts/config-doc.sh $BIN/otasuke-sensor)"
    exit 1
fi
