#!/bin/bash
# otasuke-server over HTTPS, for real: starts the server on a temporary data
# folder and a free port, checks the first-start files, then every endpoint
# of docs/api.md, and hostile requests (wrong credentials, a device on admin
# endpoints, another tenant's incident, oversized and truncated bodies, bad
# lines, too many lines, rate limit, revocation).  Each hostile request must
# get its answer and change nothing (counts checked through the API).  Also
# SIGHUP (a new rate limit takes effect) and SIGTERM (clean exit), and a
# restart on the same folder (nothing re-created, the admin key still works).
#
# STORE=sqlite|postgresql picks the store; unset: sqlite, then PostgreSQL
# too when tests/support/pg-tmp.sh exists.
set -u
OT_SRC=${OT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OT_BIN=${OT_BIN:-$OT_SRC/build/bin}
SRV=$OT_BIN/otasuke-server
if [ ! -x "$SRV" ]; then
    echo "skip: $SRV is not built"
    exit 77
fi
if ! command -v python3 >/dev/null; then
    echo "skip: python3 is not installed"
    exit 77
fi

TMP=$(mktemp -d /tmp/ot-api-test.XXXXXX)
PG_DIRS=()
cleanup() {
    for d in "${PG_DIRS[@]}"; do
        "$OT_SRC/tests/support/pg-tmp.sh" stop "$d" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/client.py" <<'PY'
import gzip, hashlib, http.client, json, os, socket, ssl, subprocess, sys, time

SRV, TMP, STORE_URL, NAME = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
DATA = os.path.join(TMP, "data-" + NAME)
CONF = os.path.join(TMP, "server-" + NAME + ".conf")
failures = 0

def check(cond, what):
    global failures
    if cond:
        print("ok   " + what)
    else:
        failures += 1
        print("FAIL " + what)

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p

PORT = free_port()
def write_conf(rate="1000", burst="1000"):
    with open(CONF, "w") as f:
        f.write("# test configuration\n")
        f.write("ingest.max-body = 64k\n")
        f.write("ingest.max-inflated = 256k\n")
        f.write("ingest.max-lines = 100\n")
        f.write("ingest.rate = %s\ningest.burst = %s\n" % (rate, burst))
        f.write('log-level = "info"  # quoted\n')
write_conf()

args = [SRV, "--data", DATA, "--listen", "127.0.0.1:%d" % PORT, "--san", "otasuke.test",
        "-c", CONF, "--threads", "2"]
if STORE_URL:
    args += ["--store", STORE_URL]
log = open(os.path.join(TMP, "server-" + NAME + ".log"), "w")
proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
first = []
for line in proc.stdout:
    first.append(line)
    if line.startswith("listening:"):
        break
out = "".join(first)
check("admin key:" in out and "certificate authority:" in out, "first start says where things are")
mode = lambda f: oct(os.stat(os.path.join(DATA, f)).st_mode & 0o777)
check(mode(".") == "0o700", "data folder is 0700")
check(mode("admin.key") == "0o600" and mode("ca.key") == "0o600" and mode("server.key") == "0o600",
      "key files are 0600")
ADMIN = open(os.path.join(DATA, "admin.key")).read().strip()
check(ADMIN.startswith("ota_") and len(ADMIN) == 47, "admin key is ota_ + 43 base64url characters")

ctx = ssl.create_default_context(cafile=os.path.join(DATA, "ca.pem"))

def req(method, path, body=None, key=None, headers=None, host="localhost", chunked=False):
    c = http.client.HTTPSConnection(host, PORT, context=ctx, timeout=30)
    h = dict(headers or {})
    if key:
        h["Authorization"] = "Bearer " + key
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    try:
        send_error = None
        try:
            if chunked:
                c.request(method, path, body=iter([body[i:i + 8192] for i in range(0, len(body), 8192)]),
                          headers=h, encode_chunked=True)
            else:
                c.request(method, path, body=body, headers=h)
        except (ssl.SSLError, OSError) as e:
            # The server may answer (413) and close before the whole body is
            # sent: the answer is still there to read.
            send_error = e
        try:
            r = c.getresponse()
            data = r.read()
        except Exception:
            if send_error:
                raise send_error
            raise
    finally:
        c.close()
    try:
        j = json.loads(data) if data and r.getheader("Content-Type") == "application/json" else data
    except ValueError:
        j = data
    return r.status, r, j

def admin(method, path, body=None):
    return req(method, path, body, key=ADMIN)

# ---- public endpoints ----
st, _, j = req("GET", "/api/v1/health")
check(st == 200 and j.get("status") == "ok" and j.get("store") == NAME, "health: %s %s" % (st, j))
st, _, j = req("GET", "/api/v1/health", host="127.0.0.1")
check(st == 200, "certificate verifies for 127.0.0.1 too")
st, r, pem = req("GET", "/api/v1/ca")
check(st == 200 and r.getheader("Content-Type") == "application/x-pem-file"
      and pem == open(os.path.join(DATA, "ca.pem"), "rb").read(), "GET /ca is ca.pem")
der = ssl.PEM_cert_to_DER_cert(pem.decode())
PIN = hashlib.sha256(der).hexdigest()
st, _, j = req("GET", "/api/v1/nothing")
check(st == 404 and "error" in j, "unknown path 404")
st, _, j = req("DELETE", "/api/v1/health")
check(st == 405, "wrong method 405")

# ---- tenants ----
st, _, a = admin("POST", "/api/v1/customers", {"name": "Acme 株式会社"})
check(st == 201 and a["name"] == "Acme 株式会社", "customer A created")
st, _, b = admin("POST", "/api/v1/customers", {"name": "Beta"})
check(st == 201, "customer B created")
A, B = a["id"], b["id"]
st, _, j = admin("POST", "/api/v1/customers", {"name": "Beta"})
check(st == 409 and j["error"] == "name taken", "duplicate customer 409")
st, _, j = admin("POST", "/api/v1/customers", {"name": ""})
check(st == 400, "empty name 400")
st, _, j = admin("POST", "/api/v1/customers", "{not json")
check(st == 400 and "JSON" in j["error"], "bad JSON 400")
st, _, j = admin("GET", "/api/v1/customers")
check(st == 200 and [c["id"] for c in j["items"]] == [A, B], "customer list")
st, _, sa = admin("POST", "/api/v1/customers/%d/sites" % A, {"name": "HQ"})
check(st == 201 and sa["customer_id"] == A, "site of A")
st, _, sb = admin("POST", "/api/v1/customers/%d/sites" % B, {"name": "Shop"})
check(st == 201, "site of B")
st, _, j = admin("POST", "/api/v1/customers/999/sites", {"name": "x"})
check(st == 404, "site of unknown customer 404")
st, _, j = admin("GET", "/api/v1/customers/%d/sites" % A)
check(st == 200 and len(j["items"]) == 1 and j["items"][0]["name"] == "HQ", "site list")

# ---- tokens and enrolment ----
def token(cust, site, ttl=None):
    body = {"customer_id": cust, "site_id": site, "kind": "sensor"}
    if ttl:
        body["ttl"] = ttl
    st, _, j = admin("POST", "/api/v1/tokens", body)
    check(st == 201 and j["token"].startswith("ote_"), "token made (%d)" % st)
    return j["token"]
ta = token(A, sa["id"])
check(ta.split(".")[1] == PIN, "token carries the CA pin")
st, _, j = admin("POST", "/api/v1/tokens", {"customer_id": A, "site_id": sb["id"]})
check(st == 404, "token for another customer's site 404")
def enroll(tok, name="box"):
    return req("POST", "/api/v1/enroll", {"token": tok, "name": name, "kind": "sensor"})
st, _, da = enroll(ta, "sensor-a")
check(st == 201 and da["credential"].startswith("otd_") and da["customer_id"] == A,
      "enrol A: %s" % st)
st, _, j = enroll(ta)
check(st == 409 and j["error"] == "token already used", "token used twice 409")
st, _, j = enroll("ote_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
check(st == 401 and j["error"] == "unknown token", "unknown token 401")
tshort = token(A, sa["id"], ttl=1)
tb = token(B, sb["id"])
st, _, db = enroll(tb.split(".")[0], "sensor-b")  # also without the pin suffix
check(st == 201 and db["customer_id"] == B, "enrol B")
time.sleep(1.2)
st, _, j = enroll(tshort)
check(st == 410 and j["error"] == "token expired", "expired token 410")
DA, DB = da["credential"], db["credential"]

# ---- ingest ----
def ev(i, etype="dns", **kw):
    e = {"event_id": "ev-%s" % i, "event_type": etype, "timestamp": "2024-05-01T10:00:%02dZ" % (i % 60)}
    e.update(kw)
    return json.dumps(e)
def alert(i, src, dst, fam="bruteforce", sid=2001):
    return ev(i, "alert", src_ip=src, dest_ip=dst, src_port=40000, dest_port=22,
              alert={"signature_id": sid, "signature": "test " + fam, "severity": 2, "category": fam})
def post(lines, key, headers=None, gz=False, raw=None, chunked=False):
    body = raw if raw is not None else ("\n".join(lines) + "\n").encode()
    h = dict(headers or {})
    if gz:
        body = gzip.compress(body)
        h["Content-Encoding"] = "gzip"
    return req("POST", "/api/v1/events", body, key=key, headers=h, chunked=chunked)

batch = [alert(1, "203.0.113.9", "192.168.1.10"), ev(2), "", ev(3) + "\r",
         alert(4, "203.0.113.9", "192.168.1.11")]
st, _, j = post(batch, DA, headers={"X-Otasuke-Dropped": "7"})
check(st == 200 and j["accepted"] == 4 and j["duplicates"] == 0 and j["rejected"] == [],
      "batch accepted: %s" % j)
st, _, j = post(batch, DA, gz=True)
check(st == 200 and j["accepted"] == 0 and j["duplicates"] == 4, "same batch gzip: duplicates")
st, _, j = post([alert(1, "198.51.100.1", "192.168.9.9", fam="scan", sid=3001)], DB)
check(st == 200 and j["accepted"] == 1, "B's event with A's event_id is B's own")

def counts():
    _, _, f = admin("GET", "/api/v1/funnel?customer=%d" % A)
    _, _, d = admin("GET", "/api/v1/devices?customer=%d" % A)
    _, _, i = admin("GET", "/api/v1/incidents?customer=%d" % A)
    return (f["events"], f["alerts"], f["incidents"], d["items"][0]["events"],
            d["items"][0]["spool_dropped"], len(i["items"]))
base = counts()
check(base[0] == 4 and base[1] == 2 and base[3] == 4 and base[4] == 7, "counts after ingest %s" % (base,))

# ---- hostile requests: each answered, nothing changes ----
def unchanged(what):
    now = counts()
    check(now == base, what + " changed nothing")

st, r, j = post([ev(50)], "otd_wrongwrongwrong")
check(st == 401 and j["error"] == "unknown credential" and r.getheader("WWW-Authenticate"),
      "wrong device credential 401")
st, _, j = post([ev(50)], None)
check(st == 401 and j["error"] == "missing credential", "no credential 401")
st, _, j = post([ev(50)], ADMIN)
check(st == 403, "admin key on ingest 403")
st, _, j = req("GET", "/api/v1/customers", key=DA)
check(st == 403 and "device" in j["error"], "device credential on admin endpoint 403")
st, _, j = req("GET", "/api/v1/customers", key="ota_notthekey")
check(st == 401, "wrong admin key 401")
unchanged("bad credentials")

big = [ev(100 + i, pad="x" * 900) for i in range(80)]  # ~75 KiB > 64 KiB
st, _, j = post(big, DA)
check(st == 413, "oversized body (Content-Length) 413: %s" % st)
st, _, j = post(big, DA, chunked=True)
check(st == 413, "oversized body (chunked) 413: %s" % st)
st, _, j = post(None, DA, raw=gzip.compress(("\n".join(ev(200 + i, pad="y" * 3000) for i in range(100))).encode()),
                headers={"Content-Encoding": "gzip"})
check(st == 413 and "inflated" in j["error"], "gzip inflating past the bound 413")
gzb = gzip.compress(("\n".join([ev(300), ev(301)]) + "\n").encode())
st, _, j = post(None, DA, raw=gzb[:-9], headers={"Content-Encoding": "gzip"})
check(st == 400 and "truncated" in j["error"], "truncated gzip 400: %s" % j)
st, _, j = post(None, DA, raw=b"not gzip", headers={"Content-Encoding": "gzip"})
check(st == 400, "not gzip 400")
st, _, j = post(None, DA, raw=b"{}", headers={"Content-Encoding": "br"})
check(st == 415, "unknown encoding 415")
st, _, j = post([ev(400 + i) for i in range(101)], DA)
check(st == 413 and "lines" in j["error"], "too many lines 413")
st, _, j = post([ev(1)], DA, headers={"X-Otasuke-Dropped": "-1"})
check(st == 400, "bad X-Otasuke-Dropped 400")
unchanged("oversized, truncated and refused batches")

bad_utf8 = b'{"event_id":"u1","event_type":"dns","timestamp":"2024-05-01T10:00:00Z","q":"\xff\xfe"}'
deep = '{"event_id":"d1","event_type":"dns","timestamp":"2024-05-01T10:00:00Z","x":' + "[" * 40 + "]" * 40 + "}"
lines = [bad_utf8, deep.encode(), b'{"event_type":"dns","timestamp":"2024-05-01T10:00:00Z"}',
         b'{"event_id":"t1","event_type":"dns","timestamp":"yesterday"}', b"[1,2]", b"{broken"]
st, _, j = post(None, DA, raw=b"\n".join(lines))
reasons = {r["line"]: r["reason"] for r in j.get("rejected", [])} if st == 200 else {}
check(st == 200 and j["accepted"] == 0 and len(reasons) == 6, "every bad line rejected: %s" % j)
check("UTF-8" in reasons.get(1, ""), "line 1 invalid UTF-8: %s" % reasons.get(1))
check("nested deeper" in reasons.get(2, ""), "line 2 too deep: %s" % reasons.get(2))
check("event_id" in reasons.get(3, ""), "line 3 no event_id")
check("RFC 3339" in reasons.get(4, ""), "line 4 bad timestamp")
check("object" in reasons.get(5, ""), "line 5 not an object")
# a batch of only bad lines still counts as a request of the device (last_seen), not as events
now = counts()
check(now[:4] == base[:4] and now[5] == base[5], "bad lines stored nothing")

# ---- incidents ----
st, _, j = admin("GET", "/api/v1/incidents?customer=%d&lang=en" % A)
check(st == 200 and len(j["items"]) == 1, "one incident for A's two alerts from one source")
inc = j["items"][0]
check(inc["family"] == "bruteforce" and inc["alert_count"] == 2 and inc["status"] == "new"
      and inc["title"] and isinstance(inc["steps"], list) and len(inc["steps"]) >= 1,
      "incident fields and English texts")
check(" JST" in inc["summary"] and "UTC" not in inc["summary"],
      "owner texts give times in JST (owner.time-zone): %s" % inc["summary"])
IA = inc["id"]
st, _, j = admin("GET", "/api/v1/incidents/%d?lang=ja" % IA)
check(st == 200 and len(j["alerts"]) == 2 and j["title"] != inc["title"], "detail in Japanese with alerts")
st, _, j = admin("GET", "/api/v1/incidents?customer=%d" % B)
IB = j["items"][0]["id"]
st, _, j = admin("GET", "/api/v1/incidents/%d?customer=%d" % (IB, A))
check(st == 404 and "entity" not in j and j["error"] == "no such incident", "another tenant's incident 404")
st, _, j = admin("POST", "/api/v1/incidents/%d/status?customer=%d" % (IB, A), {"status": "acknowledged"})
check(st == 404, "status change of another tenant's incident 404")
st, _, j = admin("GET", "/api/v1/incidents/999999")
check(st == 404, "unknown incident 404")
st, _, j = admin("POST", "/api/v1/incidents/%d/status" % IA, {"status": "resolved"})
check(st == 400 and "resolution" in j["error"], "resolved without resolution 400")
st, _, j = admin("POST", "/api/v1/incidents/%d/status" % IA, {"status": "acknowledged", "resolution": "benign"})
check(st == 400, "resolution on a non-resolved status 400")
st, _, j = admin("POST", "/api/v1/incidents/%d/status" % IA, {"status": "closed"})
check(st == 400, "unknown status 400")
st, _, j = admin("POST", "/api/v1/incidents/%d/status" % IA,
                 {"status": "acknowledged", "note": "見ています", "actor": "taro"})
check(st == 200 and j["status"] == "acknowledged", "acknowledged")
st, _, j = admin("POST", "/api/v1/incidents/%d/status" % IA, {"status": "acknowledged"})
check(st == 400, "same status again 400")
st, _, j = admin("POST", "/api/v1/incidents/%d/status" % IA,
                 {"status": "resolved", "resolution": "true_positive", "actor": "hanako"})
check(st == 200 and j["status"] == "resolved" and j["resolution"] == "true_positive", "resolved")
aud = j["audit"]
check(len(aud) == 2 and aud[0]["actor"] == "taro" and aud[0]["detail"]["from"] == "new"
      and aud[0]["detail"]["to"] == "acknowledged" and aud[0]["detail"]["note"] == "見ています"
      and aud[1]["detail"]["to"] == "resolved", "audit trail of the incident: %s" % aud)
st, _, j = admin("GET", "/api/v1/incidents?customer=%d&status=open" % A)
check(st == 200 and j["items"] == [], "no open incident left for A")
st, _, j = admin("GET", "/api/v1/incidents?status=resolved&limit=1")
check(st == 200 and len(j["items"]) == 1, "filter resolved, limit 1")
st, _, j = admin("GET", "/api/v1/incidents?status=bogus")
check(st == 400, "bad status filter 400")
st, _, j = admin("GET", "/api/v1/audit?object=incident:%d" % IA)
check(st == 200 and len(j["items"]) == 2, "audit by object")
st, _, j = admin("GET", "/api/v1/audit?customer=%d" % B)
check(st == 200 and all(x["customer_id"] == B for x in j["items"]) and len(j["items"]) >= 3, "audit by customer")

# ---- funnel ----
st, _, f = admin("GET", "/api/v1/funnel?customer=%d&since=2020-01-01T00:00:00Z" % A)
check(st == 200 and f["alerts"] == 2 and f["incidents"] == 1 and f["families"][0]["family"] == "bruteforce"
      and f["rules"][0]["sid"] == 2001, "funnel: %s" % f)
st, _, j = admin("GET", "/api/v1/funnel?since=yesterday")
check(st == 400, "funnel bad since 400")

# ---- suppressions ----
st, _, s1 = admin("POST", "/api/v1/customers/%d/suppressions" % A,
                  {"name": "scanner", "family": "scan", "src": "198.51.100.0/24"})
check(st == 201 and s1["family"] == "scan", "suppression added")
for bad in ({"name": "x"}, {"name": "x", "src": "300.1.1.1"}, {"name": "x", "family": "nope"},
            {"name": "x", "src": "10.0.0.0/33"}, {"name": "x", "sid": -1}):
    st, _, j = admin("POST", "/api/v1/customers/%d/suppressions" % A, bad)
    check(st == 400, "bad suppression %s 400 (%s)" % (bad, j))
st, _, j = admin("GET", "/api/v1/customers/%d/suppressions" % A)
check(st == 200 and len(j["items"]) == 1, "suppression list")
st, _, j = post([alert(60, "198.51.100.7", "192.168.1.20", fam="scan", sid=3001)], DA)
st, _, f = admin("GET", "/api/v1/funnel?customer=%d" % A)
check(f["suppressed"] == 1, "alert suppressed by the rule")
st, _, j = admin("DELETE", "/api/v1/customers/%d/suppressions/%d" % (B, s1["id"]))
check(st == 404, "delete through another customer 404")
st, _, j = admin("DELETE", "/api/v1/customers/%d/suppressions/%d" % (A, s1["id"]))
check(st == 204, "suppression deleted")
st, _, j = admin("DELETE", "/api/v1/customers/%d/suppressions/%d" % (A, s1["id"]))
check(st == 404, "deleted twice 404")
base = counts()

# ---- SIGHUP: a tight rate limit takes effect ----
write_conf(rate="0.01", burst="1")
proc.send_signal(1)
time.sleep(0.5)
st, _, j = post([ev(70)], DA)
st2, r, j2 = post([ev(71)], DA)
check(st == 200 and st2 == 429 and int(r.getheader("Retry-After")) >= 1, "after SIGHUP: 429 with Retry-After")
st, _, j = post([ev(72)], DB)
check(st == 200, "the other device is not limited")
write_conf()
proc.send_signal(1)
time.sleep(0.5)
base = counts()

# ---- revocation ----
st, _, j = admin("POST", "/api/v1/devices/%d/revoke" % da["device_id"])
check(st == 200 and j["revoked_at"], "device revoked")
st, _, j = post([ev(80)], DA)
check(st == 401 and j["error"] == "device revoked", "revoked device 401")
unchanged("revoked device's batch")
st, _, j = admin("POST", "/api/v1/devices/999/revoke")
check(st == 404, "revoke unknown device 404")
st, _, j = admin("GET", "/api/v1/devices")
check(st == 200 and len(j["items"]) == 2, "device list (all customers)")

# ---- store outage (PostgreSQL only): 503 + Retry-After, nothing half-written ----
PG_TMP, PG_DIR = os.environ.get("PG_TMP"), os.environ.get("PG_DIR")
if NAME == "postgresql" and PG_TMP and PG_DIR:
    outage = [alert(90, "203.0.113.77", "192.168.1.30"), ev(91)]
    subprocess.run([PG_TMP, "halt", PG_DIR], check=True, stdout=subprocess.DEVNULL)
    st, r, j = post(outage, DB)
    check(st == 503 and j["error"] == "store unavailable" and r.getheader("Retry-After"),
          "store down: 503 with Retry-After (%s %s)" % (st, j))
    subprocess.run([PG_TMP, "start", PG_DIR], check=True, stdout=subprocess.DEVNULL)
    for _ in range(20):
        st, r, j = post(outage, DB)
        if st != 503:
            break
        time.sleep(0.5)
    check(st == 200 and j["accepted"] == 2 and j["duplicates"] == 0,
          "store back: the same batch is accepted whole (%s %s)" % (st, j))

# ---- graceful stop: a request in flight at SIGTERM is answered ----
c = http.client.HTTPSConnection("localhost", PORT, context=ctx, timeout=30)
body = ("\n".join([ev(95), ev(96)]) + "\n").encode()
c.putrequest("POST", "/api/v1/events")
c.putheader("Authorization", "Bearer " + DB)
c.putheader("Content-Length", str(len(body)))
c.endheaders()
c.send(body[:20])
time.sleep(0.3)
proc.send_signal(15)
time.sleep(0.5)
try:
    s2 = socket.create_connection(("127.0.0.1", PORT), timeout=2)
    s2.close()
    refused = False
except OSError:
    refused = True
check(refused, "after SIGTERM no new connection is accepted")
c.send(body[20:])
r = c.getresponse()
j = json.loads(r.read())
check(r.status == 200 and j["accepted"] == 2, "request in flight at SIGTERM answered: %s" % j)
c.close()
rc = proc.wait(timeout=30)
check(rc == 0, "SIGTERM: exit 0")
proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
second = []
for line in proc.stdout:
    second.append(line)
    if line.startswith("listening:"):
        break
out = "".join(second)
check("admin key:" not in out and "certificate authority:" not in out, "restart creates nothing new")
st, _, j = admin("GET", "/api/v1/customers")
check(st == 200 and len(j["items"]) == 2, "admin key works after restart; data kept")
st, _, pem2 = req("GET", "/api/v1/ca")
check(pem2 == pem, "same CA after restart")
proc.send_signal(2)
check(proc.wait(timeout=30) == 0, "SIGINT: exit 0")
print("%s: %d failure(s)" % (NAME, failures))
sys.exit(1 if failures else 0)
PY

run_store() {
    local name=$1 url=$2
    echo "== store: $name"
    if ! PG_TMP=${PG_TMP:-} PG_DIR=${PG_DIR:-} python3 "$TMP/client.py" "$SRV" "$TMP" "$url" "$name"; then
        echo "--- server log ($name):"
        tail -n 40 "$TMP/server-$name.log"
        return 1
    fi
}

STORES=${STORE:-}
if [ -z "$STORES" ]; then
    STORES=sqlite
    [ -x "$OT_SRC/tests/support/pg-tmp.sh" ] && STORES="sqlite postgresql"
fi
status=0
for s in $STORES; do
    case $s in
    sqlite)
        run_store sqlite "" || status=1
        ;;
    postgresql)
        if [ ! -x "$OT_SRC/tests/support/pg-tmp.sh" ]; then
            echo "skip: tests/support/pg-tmp.sh is missing"
            [ "$STORES" = postgresql ] && exit 77
            continue
        fi
        # its own folder under /tmp: the postgres user cannot enter $TMP (0700)
        pgdir=$(mktemp -d /tmp/ot-api-pg.XXXXXX)
        PG_DIRS+=("$pgdir")
        url=$("$OT_SRC/tests/support/pg-tmp.sh" start "$pgdir")
        if [ -z "$url" ]; then
            echo "skip: could not start a temporary PostgreSQL"
            [ "$STORES" = postgresql ] && exit 77
            continue
        fi
        PG_TMP=$OT_SRC/tests/support/pg-tmp.sh PG_DIR=$pgdir run_store postgresql "$url" || status=1
        ;;
    *)
        echo "unknown STORE $s"
        exit 2
        ;;
    esac
done
exit $status
