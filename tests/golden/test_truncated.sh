#!/usr/bin/env bash
# "A truncated or corrupt capture gives a clear message with the byte offset,
# keeps every event before it, and exits non-zero."
#
# Builds damaged copies of one capture in a temporary folder and checks, for
# each, the sensor's message
#     FILE: truncated or corrupt capture at byte offset N: ...
# (N = where the record that could not be read starts), exit status 1, and
# that the events are exactly those of the same capture cut cleanly before
# that record (so every event before the damage is kept, none invented):
#   1. cut inside a packet's data         (head -c)
#   2. cut inside a record header         (head -c)
#   3. a record header whose caplen is absurd (0x7fffffff)
#   4. a record header whose caplen is larger than the rest of the file
#   5. the same as 1, in pcapng (when editcap is installed)
#   6. a folder run: a.pcap good, b.pcap corrupt (3.), c.pcap good - the run
#      stops at b with b's name and offset, after all of a's events and b's
#      events before the damage.
#   7. a file shorter than the pcap file header: a clear message, status 1.
# The capture is ot-pcapgen's demo (no ../shared needed); without ot-pcapgen
# a public capture is used, and the test skips when neither is there.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
SRC=${OT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${OT_DATA:-$SRC/../shared/data}
skip() { echo "SKIP: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 is not installed (scripts/setup.sh installs it)"
[ -x "$BIN/otasuke-sensor" ] || { echo "FAIL: $BIN/otasuke-sensor not built"; exit 1; }

work=$(mktemp -d /tmp/ot-trunc-XXXXXX)
trap 'rm -rf "$work"' EXIT
SHARED_FALLBACK=zeek__zeek/testing/btest/Traces/http/pipelined-requests.pcap
if [ -x "$BIN/ot-pcapgen" ] && "$BIN/ot-pcapgen" demo "$work/src.pcap" 2>/dev/null; then
    echo "source: ot-pcapgen demo"
elif [ -f "$DATA/pcaps/$SHARED_FALLBACK" ]; then
    cp "$DATA/pcaps/$SHARED_FALLBACK" "$work/src.pcap"   # a temporary copy, deleted on exit
    echo "source: $SHARED_FALLBACK (ot-pcapgen not built)"
else
    skip "neither $BIN/ot-pcapgen nor the public captures ($DATA/pcaps) are there to make a capture from"
fi

export OT_SENSOR=$BIN/otasuke-sensor OT_NORMALIZE=$SRC/tests/golden/normalize.py
python3 - "$work" <<'PY'
import json, os, shutil, struct, subprocess, sys

work = sys.argv[1]
sensor = os.environ["OT_SENSOR"]
sys.path.insert(0, os.path.dirname(os.environ["OT_NORMALIZE"]))
from normalize import normalize_lines

src = open(os.path.join(work, "src.pcap"), "rb").read()
magic = struct.unpack("<I", src[:4])[0]
if magic in (0xa1b2c3d4, 0xa1b23c4d):
    endian = "<"
elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
    endian = ">"
else:
    sys.exit("FAIL: the source capture is not classic pcap")

# Record offsets: 24-byte file header, then 16-byte record headers.
recs = []
off = 24
while off + 16 <= len(src):
    caplen = struct.unpack(endian + "I", src[off + 8:off + 12])[0]
    recs.append((off, caplen))
    off += 16 + caplen
if off != len(src) or len(recs) < 20:
    sys.exit(f"FAIL: could not walk the source capture ({len(recs)} records, end {off}/{len(src)})")

failures = []
checks = 0


def run(path):
    p = subprocess.run([sensor, "-q", "-r", path], capture_output=True)
    events = list(normalize_lines(p.stdout.decode("utf-8", "surrogateescape").splitlines(), path))
    return p.returncode, p.stderr.decode("utf-8", "replace"), events


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
    print(("ok   " if cond else "FAIL ") + what)


def write(name, data):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def packets(events):
    st = [json.loads(e) for e in events if '"event_type":"stats"' in e]
    return st[-1]["stats"]["capture"]["packets"] if st else -1


def expect_damaged(label, path, offset, reference_events, nrec, named=None):
    rc, err, events = run(path)
    want = f"{named or path}: truncated or corrupt capture at byte offset {offset}: "
    check(rc == 1, f"{label}: exit status 1 (got {rc})")
    check(want in err, f"{label}: message names the file and byte offset {offset}"
          + ("" if want in err else f" - got: {err.strip()[:300]!r}"))
    check(err.count("\n") <= 2, f"{label}: one clear message, no flood ({err.count(chr(10))} lines)")
    check(packets(events) == nrec, f"{label}: the {nrec} packets before the damage were read "
          f"(stats say {packets(events)})")
    same = events == reference_events
    check(same, f"{label}: events equal those of the capture cut cleanly before the damage "
          f"({len(events)} vs {len(reference_events)})")
    if not same:
        import difflib
        for l in list(difflib.unified_diff(reference_events, events, lineterm="", n=0))[2:12]:
            print("     " + l[:300])


# The record where the damage goes: about two thirds in, so events lie before it.
k = (len(recs) * 2) // 3
rec_off, rec_len = recs[k]
prefix = write("prefix.pcap", src[:rec_off])
rc, err, ref = run(prefix)
check(rc == 0 and len(ref) > 3, f"clean prefix of {k} packets: status 0 and events ({rc}, {len(ref)} events)")
types = {json.loads(e)["event_type"] for e in ref}
check(len(types & {"dns", "http", "tls", "dhcp", "smtp", "ssh"}) >= 1,
      f"the prefix has application events ({sorted(types)})")

# 1. cut in the middle of packet k's data
expect_damaged("cut inside a packet", write("cut-data.pcap", src[:rec_off + 16 + rec_len // 2]),
               rec_off, ref, k)
# 2. cut inside packet k's record header
expect_damaged("cut inside a record header", write("cut-hdr.pcap", src[:rec_off + 7]), rec_off, ref, k)
# 3. packet k's caplen absurd
bad = bytearray(src)
bad[rec_off + 8:rec_off + 12] = struct.pack(endian + "I", 0x7fffffff)
corrupt = bytes(bad)
expect_damaged("absurd caplen in a record header", write("bad-caplen.pcap", corrupt), rec_off, ref, k)
# 4. packet k's caplen within limits but past the end of the file
bad = bytearray(src[:rec_off + 16 + rec_len])
bad[rec_off + 8:rec_off + 12] = struct.pack(endian + "I", rec_len + 5000)
bad[rec_off + 12:rec_off + 16] = struct.pack(endian + "I", rec_len + 5000)
expect_damaged("caplen past the end of the file", write("long-caplen.pcap", bytes(bad)), rec_off, ref, k)

# 5. pcapng: the same cut.  Offsets are those of the pcapng blocks.
if shutil.which("editcap"):
    ng = os.path.join(work, "src.pcapng")
    subprocess.run(["editcap", "-F", "pcapng", os.path.join(work, "src.pcap"), ng],
                   check=True, capture_output=True)
    b = open(ng, "rb").read()
    blocks, o = [], 0
    while o + 12 <= len(b):
        btype, blen = struct.unpack("<II", b[o:o + 8])
        blocks.append((o, btype))
        o += blen
    epbs = [o for o, t in blocks if t in (6, 3)]
    if len(epbs) == len(recs):
        boff = epbs[k]
        ngref = run(write("prefix.pcapng", b[:boff]))[2]
        check(ngref == ref, "pcapng: the clean prefix gives the same events as the pcap prefix")
        expect_damaged("pcapng cut inside a block", write("cut.pcapng", b[:boff + 40]), boff, ngref, k)
    else:
        check(False, f"pcapng: {len(epbs)} packet blocks for {len(recs)} records")
else:
    print("note: editcap not installed; the pcapng case is left out")

# 6. a folder: a.pcap whole, b.pcap corrupt at packet k, c.pcap whole.
# One stream, so the reference is a folder of a.pcap and b's clean prefix.
d = os.path.join(work, "folder")
os.mkdir(d)
ref_dir = os.path.join(work, "folder-ref")
os.mkdir(ref_dir)
half = recs[len(recs) // 2][0]
for dd in (d, ref_dir):
    write(os.path.join(dd, "a.pcap"), src[:half])
write(os.path.join(d, "b.pcap"), corrupt)
write(os.path.join(ref_dir, "b.pcap"), src[:rec_off])
write(os.path.join(d, "c.pcap"), src)
rc, err, fref = run(ref_dir)
check(rc == 0, f"folder reference run: status 0 ({rc})")
expect_damaged("folder, 2nd file corrupt", d, rec_off, fref, len(recs) // 2 + k,
               named=os.path.join(d, "b.pcap"))

# 7. shorter than the file header
short = write("short.pcap", src[:10])
rc, err, _ = run(short)
check(rc == 1 and short in err, f"a 10-byte file: status 1 and a message naming it ({rc}: {err.strip()[:200]!r})")

print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
PY
