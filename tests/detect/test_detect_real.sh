#!/usr/bin/env bash
# Detections on real public captures: positives raise their family, benign
# captures raise no severity 1-2 alert, Maltrail's corpus with its own trails
# as indicators.  Ground truth and listed differences: tests/detect/check_real.py.
set -u
BIN=${OT_BIN:-build/bin}
SRC=${OT_SRC:-.}
DATA=${OT_DATA:-../shared/data}
if [ ! -f "$DATA/pcaps/POSITIVES.tsv" ]; then
    echo "SKIP: $DATA/pcaps/POSITIVES.tsv not found (the public captures are not here)"
    exit 77
fi
[ -x "$BIN/otasuke-sensor" ] || { echo "FAIL: $BIN/otasuke-sensor not built"; exit 1; }
exec python3 "$SRC/tests/detect/check_real.py" "$BIN/otasuke-sensor" "$DATA" "$SRC"
