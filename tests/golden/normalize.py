#!/usr/bin/env python3
"""Canonical form of the sensor's NDJSON events, for golden files.

Reads events (a file, or standard input) and writes one JSON object per line
with sorted keys, in the order the sensor wrote them, after:

  * dropping `event_id` and `sensor_id` (random per run / per sensor);
  * replacing every `flow_id` with its ordinal by first appearance (1, 2, ...),
    so the random flow ids do not show in diffs but "same flow" still does;
  * dropping the parts of `stats` that depend on the wall clock or the host
    rather than on the capture (`capture.kernel_packets`, `capture.kernel_drops`,
    which appear only in live capture).

Everything else - timestamps, counters, `uptime` (packet time) - is a function
of the capture and stays.  A line that is not JSON is an error (exit 1): the
sensor must never write one.

usage: normalize.py [EVENTS.json] [-o OUT]
"""
import json
import sys

DROP_TOP = ("event_id", "sensor_id")
DROP_STATS_CAPTURE = ("kernel_packets", "kernel_drops")


def normalize_lines(lines, source="<stdin>"):
    """Yields canonical JSON strings for the NDJSON lines."""
    flow_ids = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError as e:
            raise SystemExit(f"{source}:{lineno}: not JSON: {e}")
        for k in DROP_TOP:
            ev.pop(k, None)
        if "flow_id" in ev:
            ev["flow_id"] = flow_ids.setdefault(ev["flow_id"], len(flow_ids) + 1)
        st = ev.get("stats")
        if isinstance(st, dict) and isinstance(st.get("capture"), dict):
            for k in DROP_STATS_CAPTURE:
                st["capture"].pop(k, None)
        yield json.dumps(ev, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def main(argv):
    args = argv[1:]
    out_path = None
    if "-o" in args:
        i = args.index("-o")
        out_path = args[i + 1]
        del args[i:i + 2]
    src = args[0] if args else "-"
    fin = sys.stdin if src == "-" else open(src, encoding="utf-8", errors="surrogateescape")
    fout = sys.stdout if out_path in (None, "-") else open(out_path, "w", encoding="utf-8",
                                                            errors="surrogateescape")
    for s in normalize_lines(fin, src):
        fout.write(s + "\n")
    fout.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
