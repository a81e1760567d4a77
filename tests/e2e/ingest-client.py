#!/usr/bin/env python3
"""A small, deterministic ingest client for the end-to-end and fault tests.

  ingest-client.py enrol --url URL --data DIR --customer NAME --out CREDS.json
      creates the customer (or reuses it), a site and a token with the admin
      key in DIR, enrols one device with it and writes its credential.
  ingest-client.py send --creds CREDS.json [--url URL] --prefix P --batches N
                        --size M [--alert-every K] [--acks FILE] [--deadline S]
      posts N gzip NDJSON batches of M events (event_id P-<batch>-<line>);
      a batch the server did not answer with 200 (network error, 5xx, 429)
      is sent again, as the real sender does, until --deadline seconds have
      passed.  Every acknowledged batch's event_ids are appended to --acks
      and fsynced *after* the 200 arrived: that file is the list of events
      the server promised to keep.  Prints a JSON summary on stdout.

Alerts (every K-th line) come from three fixed groups so triage must make
exactly three incidents per customer however many alerts arrive and however
the batches are split between servers: scan from 203.0.113.7, bruteforce
from 203.0.113.8 against 192.168.1.10, beacon from 192.168.1.50.
"""
import argparse
import datetime
import gzip
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

ALERT_GROUPS = [
    ("scan", 8101002, "203.0.113.7", "192.168.1.10", 2, "TCP port scan"),
    ("bruteforce", 8102001, "203.0.113.8", "192.168.1.10", 1, "SSH password guessing"),
    ("beacon", 8107001, "192.168.1.50", "198.51.100.9", 2, "Regular check-ins"),
]


class Conn:
    """One keep-alive HTTPS connection, re-opened after any failure."""

    def __init__(self, url, ca):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.https = u.hostname, u.port, u.scheme == "https"
        self.ctx = ssl.create_default_context(cafile=ca) if self.https else None
        self.c = None

    def request(self, method, path, body=None, headers=None, timeout=30):
        if self.c is None:
            if self.https:
                self.c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                     timeout=timeout)
            else:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            self.c.request(method, path, body=body, headers=headers or {})
            r = self.c.getresponse()
            data = r.read()
            return r.status, data, r.getheader("Retry-After")
        except (OSError, http.client.HTTPException):
            self.c.close()
            self.c = None
            raise


def admin(conn, key, method, path, obj=None):
    body = json.dumps(obj).encode() if obj is not None else None
    st, data, _ = conn.request(method, path, body,
                               {"Authorization": "Bearer " + key,
                                "Content-Type": "application/json"})
    if st // 100 != 2:
        sys.exit("ingest-client: %s %s: %d %s" % (method, path, st, data[:300]))
    return json.loads(data) if data else None


def cmd_enrol(a):
    key = open(os.path.join(a.data, "admin.key")).read().strip()
    ca = os.path.join(a.data, "ca.pem")
    conn = Conn(a.url, ca)
    cid = None
    for c in admin(conn, key, "GET", "/api/v1/customers")["items"]:
        if c["name"] == a.customer:
            cid = c["id"]
    if cid is None:
        cid = admin(conn, key, "POST", "/api/v1/customers", {"name": a.customer})["id"]
    site = admin(conn, key, "POST", "/api/v1/customers/%d/sites" % cid,
                 {"name": "site-%d" % os.getpid()})["id"]
    tok = admin(conn, key, "POST", "/api/v1/tokens",
                {"customer_id": cid, "site_id": site, "kind": "sensor", "ttl": 3600})["token"]
    st, data, _ = conn.request("POST", "/api/v1/enroll",
                               json.dumps({"token": tok.split(".")[0], "name": a.customer,
                                           "kind": "sensor"}).encode(),
                               {"Content-Type": "application/json"})
    if st != 201:
        sys.exit("ingest-client: enroll: %d %s" % (st, data[:300]))
    d = json.loads(data)
    d.update({"url": a.url, "ca": ca})
    with open(a.out, "w") as f:
        json.dump(d, f)


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def make_batch(a, b):
    lines, ids = [], []
    for i in range(a.size):
        eid = "%s-%d-%d" % (a.prefix, b, i)
        ids.append(eid)
        ts = now_rfc3339()
        if a.alert_every and (b * a.size + i) % a.alert_every == 0:
            fam, sid, src, dst, sev, sig = ALERT_GROUPS[(b * a.size + i) // a.alert_every % 3]
            ev = {"timestamp": ts, "event_type": "alert", "event_id": eid, "src_ip": src,
                  "src_port": 40000 + i, "dest_ip": dst, "dest_port": 22, "proto": "TCP",
                  "alert": {"action": "allowed", "signature_id": sid, "signature": sig,
                            "category": fam, "severity": sev, "count": 1}}
        else:
            ev = {"timestamp": ts, "event_type": "flow", "event_id": eid,
                  "src_ip": "192.168.1.%d" % (20 + i % 50), "src_port": 50000 + i,
                  "dest_ip": "198.51.100.%d" % (1 + i % 200), "dest_port": 443, "proto": "TCP",
                  "flow": {"pkts_toserver": 5, "pkts_toclient": 4, "bytes_toserver": 500,
                           "bytes_toclient": 4000, "state": "closed"}}
        lines.append(json.dumps(ev, separators=(",", ":")))
    return gzip.compress(("\n".join(lines) + "\n").encode(), 1), ids


def cmd_send(a):
    creds = json.load(open(a.creds))
    url = a.url or creds["url"]
    conn = Conn(url, creds["ca"])
    hdr = {"Authorization": "Bearer " + creds["credential"],
           "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
    acks = open(a.acks, "a") if a.acks else None
    deadline = time.monotonic() + a.deadline
    summary = {"batches": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "retries": 0,
               "network_errors": 0, "statuses": {}}
    for b in range(a.first, a.first + a.batches):
        body, ids = make_batch(a, b)
        while True:
            if time.monotonic() > deadline:
                summary["gave_up_at_batch"] = b
                print(json.dumps(summary))
                return 1
            try:
                st, data, retry_after = conn.request("POST", "/api/v1/events", body, hdr)
            except (OSError, http.client.HTTPException):
                summary["network_errors"] += 1
                summary["retries"] += 1
                time.sleep(0.2)
                continue
            summary["statuses"][str(st)] = summary["statuses"].get(str(st), 0) + 1
            if st == 200:
                ans = json.loads(data)
                summary["batches"] += 1
                summary["accepted"] += ans["accepted"]
                summary["duplicates"] += ans["duplicates"]
                summary["rejected"] += len(ans["rejected"])
                if acks:
                    acks.write("\n".join(ids) + "\n")
                    acks.flush()
                    os.fsync(acks.fileno())
                break
            if st in (401, 403):
                sys.exit("ingest-client: credential refused: %d %s" % (st, data[:200]))
            if 400 <= st < 500 and st not in (408, 429):
                sys.exit("ingest-client: batch %d refused: %d %s" % (b, st, data[:200]))
            summary["retries"] += 1
            time.sleep(min(float(retry_after or 0.2), 2.0))
        if a.pause:
            time.sleep(a.pause)
    print(json.dumps(summary))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("enrol")
    e.add_argument("--url", required=True)
    e.add_argument("--data", required=True)
    e.add_argument("--customer", required=True)
    e.add_argument("--out", required=True)
    s = sub.add_parser("send")
    s.add_argument("--creds", required=True)
    s.add_argument("--url")
    s.add_argument("--prefix", required=True)
    s.add_argument("--first", type=int, default=0)
    s.add_argument("--batches", type=int, required=True)
    s.add_argument("--size", type=int, default=100)
    s.add_argument("--alert-every", type=int, default=0)
    s.add_argument("--acks")
    s.add_argument("--deadline", type=float, default=120)
    s.add_argument("--pause", type=float, default=0)
    a = p.parse_args()
    return cmd_enrol(a) if a.cmd == "enrol" else cmd_send(a)


if __name__ == "__main__":
    sys.exit(main() or 0)
