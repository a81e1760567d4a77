#!/usr/bin/env python3
"""Cross-check of the sensor's events against tshark on the same captures.

For each capture four multisets are compared:

  dns   query names: `rrname` of every `dns` event with `type: "query"`;
        tshark: `dns.qry.name` of every DNS message with QR = 0
  sni   TLS server names: `tls.sni` of every `tls` event and `quic.sni` of
        every `quic` event;
        tshark: `tls.handshake.extensions_server_name` of every ClientHello
        (over TCP, and decrypted from QUIC Initial packets)
  ja3   JA3 hashes: `tls.ja3.hash` and `quic.ja3.hash`;
        tshark: `tls.handshake.ja3` of every ClientHello
  http  (host, url) of every `http` event that has a request (`http_method`);
        tshark: (`http.host`, `http.request.uri`) of every HTTP request

What is made comparable before counting (the same for every capture; each
point is a definition, not a fudge):

  * tshark's filter leaves out frames inside ICMP/ICMPv6 errors (the quoted
    packet of an error is not a new query or request) and HTTP over UDP
    (SSDP, which tshark dissects as HTTP);
  * tshark writes the root name as "<Root>"; we write "" (docs/events/dns.md);
  * the sensor's `hostname` is the Host header without its port, or, with no
    Host header, the authority of a CONNECT or of an absolute http:// URL;
    tshark's `http.host` is the raw header, so the same rule is applied to it.

Everything else that differs must be listed, with its reason, in
tshark-differences.tsv:  capture  field  value  ours  tshark  reason
(`value` is JSON: a string, or [host, url] for http).  A difference that is
not listed, or listed with other counts, fails; so does a listed one that no
longer occurs, so the list stays true.

usage:
  tshark_compare.py compare LIST WORKDIR DIFFERENCES [--write NEWFILE]
      LIST: lines "id<TAB>capture"; WORKDIR holds <id>.json (our events),
      <id>.rc (our exit status) and <id>.tsv (tshark's fields, TSHARK_FIELDS).
  tshark_compare.py fields      print the tshark -e arguments, one per line
  tshark_compare.py filter      print the tshark display filter
"""
import collections
import json
import os
import sys

FIELDS = ["dns", "sni", "ja3", "http"]

TSHARK_FILTER = ("(dns.flags.response == 0 || tls.handshake.type == 1 || (http.request && tcp))"
                 " && !icmp && !icmpv6")
TSHARK_FIELDS = [
    "frame.number",
    "dns.flags.response",
    "dns.count.queries",
    "dns.qry.name",
    "tls.handshake.extensions_server_name",
    "tls.handshake.ja3",
    "http.request.method",
    "http.host",
    "http.request.uri",
]
AGG = "\x1f"  # tshark -E aggregator: occurrences of one field in one frame


def host_without_port(h):
    """The sensor's rule (proto-http.c host_port): "[v6]:port", "name:port"."""
    if h.startswith("["):
        rb = h.find("]")
        return h[:rb + 1] if rb >= 0 else h
    c = h.find(":")
    if c >= 0 and h.find(":", c + 1) < 0:
        return h[:c]
    return h


def http_host(method, host, uri):
    if host is not None:
        return host_without_port(host)
    if method == "CONNECT":
        return host_without_port(uri)
    if uri[:7].lower() == "http://":
        a = uri[7:]
        end = len(a)
        for ch in "/?":
            i = a.find(ch)
            if 0 <= i < end:
                end = i
        return host_without_port(a[:end])
    return ""


def ours(path):
    """The four multisets from our events."""
    m = {f: collections.Counter() for f in FIELDS}
    if not os.path.exists(path):
        return m
    with open(path, encoding="utf-8", errors="surrogateescape") as fp:
        for line in fp:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            t = ev.get("event_type")
            if t == "dns":
                d = ev.get("dns", {})
                if d.get("type") == "query" and "rrname" in d:
                    m["dns"][json.dumps(d["rrname"])] += 1
            elif t in ("tls", "quic"):
                d = ev.get(t, {})
                if "sni" in d:
                    m["sni"][json.dumps(d["sni"])] += 1
                h = d.get("ja3", {}).get("hash") if isinstance(d.get("ja3"), dict) else None
                if h:
                    m["ja3"][json.dumps(h)] += 1
            elif t == "http":
                d = ev.get("http", {})
                if "http_method" in d:
                    m["http"][json.dumps([d.get("hostname", ""), d.get("url", "")])] += 1
    return m


def split(v):
    return [unescape(x) for x in v.split(AGG)] if v != "" else []


_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unescape(s):
    """Undoes tshark's escaping of string fields (\\ooo octal, \\n, \\\\ ...), so that
    both sides compare the bytes that were on the wire.  Bytes tshark could
    not show as UTF-8 it replaces with U+FFFD: those stay different."""
    if "\\" not in s:
        return s
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            d = s[i + 1]
            if d in _ESC:
                out.append(_ESC[d]); i += 2; continue
            if d == "x" and i + 3 < n + 1 and all(ch in "0123456789abcdefABCDEF" for ch in s[i + 2:i + 4]) and len(s[i + 2:i + 4]) == 2:
                out.append(chr(int(s[i + 2:i + 4], 16))); i += 4; continue
            if all(ch in "01234567" for ch in s[i + 1:i + 4]) and len(s[i + 1:i + 4]) == 3:
                out.append(chr(int(s[i + 1:i + 4], 8))); i += 4; continue
        out.append(c)
        i += 1
    return "".join(out)


def theirs(path):
    """The four multisets from tshark's field output."""
    m = {f: collections.Counter() for f in FIELDS}
    if not os.path.exists(path):
        return m
    with open(path, encoding="utf-8", errors="surrogateescape") as fp:
        for line in fp:
            cols = line.rstrip("\n").split("\t")
            cols += [""] * (len(TSHARK_FIELDS) - len(cols))
            r = dict(zip(TSHARK_FIELDS, cols))
            resp = split(r["dns.flags.response"])
            names = split(r["dns.qry.name"])
            counts = split(r["dns.count.queries"])
            if resp and all(x in ("0", "False") for x in resp):
                qnames = names
            elif resp and len(counts) == len(resp):
                # Queries and responses in one frame: walk the messages.
                qnames, i = [], 0
                for rsp, c in zip(resp, counts):
                    n = int(c) if c.isdigit() else 0
                    if rsp in ("0", "False"):
                        qnames += names[i:i + n]
                    i += n
            else:
                qnames = []
            for q in qnames:
                m["dns"][json.dumps("" if q == "<Root>" else q)] += 1
            for s in split(r["tls.handshake.extensions_server_name"]):
                m["sni"][json.dumps(s)] += 1
            for h in split(r["tls.handshake.ja3"]):
                m["ja3"][json.dumps(h)] += 1
            methods = split(r["http.request.method"])
            hosts = split(r["http.host"])
            uris = split(r["http.request.uri"])
            if methods:
                n = len(methods)
                if len(hosts) == n:
                    hs = hosts
                elif n == 1 and not hosts:
                    hs = [None]
                else:
                    hs = ["?"] * n  # cannot tell which request has which Host
                us = uris if len(uris) == n else (uris + [""] * n)[:n]
                for meth, h, u in zip(methods, hs, us):
                    m["http"][json.dumps([http_host(meth, h, u), u])] += 1
    return m


def read_differences(path):
    """{(capture, field, value): (ours, tshark, reason, lineno)}"""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fp:
        for n, line in enumerate(fp, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 6:
                raise SystemExit(f"{path}:{n}: expected 6 tab-separated columns, got {len(cols)}")
            cap, field, value, o, t, reason = cols
            out[(cap, field, value)] = (int(o), int(t), reason, n)
    return out


def compare(list_path, work, diff_path, write_path=None):
    listed = read_differences(diff_path)
    seen = set()
    totals = {f: collections.Counter() for f in FIELDS}
    failures = []
    found_rows = []
    ncap = 0
    with open(list_path, encoding="utf-8") as fp:
        entries = [l.rstrip("\n").split("\t") for l in fp if l.strip()]
    for cid, cap in entries:
        ncap += 1
        rc_path = os.path.join(work, cid + ".rc")
        rc = open(rc_path).read().strip() if os.path.exists(rc_path) else "?"
        if rc != "0":
            failures.append(f"{cap}: the sensor exited with status {rc}")
        o = ours(os.path.join(work, cid + ".json"))
        t = theirs(os.path.join(work, cid + ".tsv"))
        for f in FIELDS:
            for v in sorted(set(o[f]) | set(t[f])):
                a, b = o[f][v], t[f][v]
                totals[f]["values"] += max(a, b)
                totals[f]["matched"] += min(a, b)
                if a == b:
                    continue
                key = (cap, f, v)
                seen.add(key)
                lst = listed.get(key)
                found_rows.append((cap, f, v, a, b, lst[2] if lst else "TODO: review"))
                if lst and (lst[0], lst[1]) == (a, b) and not lst[2].startswith("TODO"):
                    totals[f]["listed"] += abs(a - b)
                    totals[f]["listed_rows"] += 1
                    continue
                if lst and (lst[0], lst[1]) == (a, b):
                    failures.append(f"{cap}: {f} {v}: listed but not reviewed yet (reason TODO)")
                elif lst:
                    failures.append(f"{cap}: {f} {v}: ours {a}, tshark {b}; listed as ours {lst[0]}, "
                                    f"tshark {lst[1]} (tshark-differences.tsv:{lst[3]})")
                else:
                    failures.append(f"{cap}: {f} {v}: ours {a}, tshark {b} - not listed")
                totals[f]["unlisted"] += abs(a - b)
                totals[f]["unlisted_rows"] += 1
    caps = {c for _, c in entries}
    for key, (a, b, reason, n) in sorted(listed.items(), key=lambda kv: kv[1][3]):
        if key[0] in caps and key not in seen:
            failures.append(f"tshark-differences.tsv:{n}: {key[0]} {key[1]} {key[2]} "
                            f"no longer differs (ours {a}, tshark {b} listed): remove the line")
    stale = sum(1 for key in listed if key[0] in caps and key not in seen)
    print(f"{ncap} captures compared; counts are occurrences (a value seen twice counts 2)")
    print(f"{'field':6} {'compared':>9} {'matched':>8} {'listed':>7} {'unlisted':>9}   rows listed/unlisted")
    for f in FIELDS:
        c = totals[f]
        print(f"{f:6} {c['values']:9} {c['matched']:8} {c['listed']:7} {c['unlisted']:9}"
              f"   {c['listed_rows']}/{c['unlisted_rows']}")
    print(f"listed differences that no longer occur: {stale}")
    if write_path:
        write_differences(write_path, found_rows, listed, caps)
    for msg in failures:
        print("FAIL " + msg)
    return 1 if failures else 0


def write_differences(path, rows, listed, caps):
    """Writes the current differences, keeping the reasons already given."""
    header = ("# capture\tfield\tvalue\tours\ttshark\treason\n"
              "# Differences between the sensor and tshark that are understood; see\n"
              "# tests/golden/tshark_compare.py for what is compared and made comparable.\n")
    keep = [(k, v) for k, v in listed.items() if k[0] not in caps]  # captures not run now
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(header)
        out = [(cap, f, v, a, b, r) for cap, f, v, a, b, r in rows]
        out += [(k[0], k[1], k[2], v[0], v[1], v[2]) for k, v in keep]
        for cap, f, v, a, b, r in sorted(out, key=lambda x: (x[0], FIELDS.index(x[1]), x[2])):
            fp.write(f"{cap}\t{f}\t{v}\t{a}\t{b}\t{r}\n")


def main(argv):
    if len(argv) >= 2 and argv[1] == "fields":
        print("\n".join(TSHARK_FIELDS))
        return 0
    if len(argv) >= 2 and argv[1] == "filter":
        print(TSHARK_FILTER)
        return 0
    if len(argv) >= 5 and argv[1] == "compare":
        write = argv[argv.index("--write") + 1] if "--write" in argv else None
        return compare(argv[2], argv[3], argv[4], write)
    if len(argv) == 3 and argv[1] in ("ours", "theirs"):
        m = ours(argv[2]) if argv[1] == "ours" else theirs(argv[2])
        for f in FIELDS:
            for v, n in sorted(m[f].items()):
                print(f"{f}\t{v}\t{n}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
