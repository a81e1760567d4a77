#!/usr/bin/env bash
# ot-pcapgen writes captures that tshark reads as the real thing.
#
#   1. the command line: --help, and exit status 2 with a message for bad arguments
#   2. the demo capture is the same bytes every time (file and standard output)
#   3. tshark, with IP/TCP/UDP checksum validation on, finds nothing malformed,
#      no bad checksum and no error; the only warnings allowed are the TCP
#      sequence ones the demo asks for (out of order, a segment not captured)
#      and tshark 4.0's note on SSH host signatures (it decodes no signature
#      type but ssh-rsa and ssh-dss, so every modern SSH capture shows it)
#   4. every protocol of the demo is there, decoded, with the values the
#      demo puts in (names, hosts, credentials, dialects, cookies...)
#   5. a small bench capture: exactly --packets packets, complete TCP flows,
#      equally clean, and the same for the same seed
# Skips (77) when tshark is not installed.
set -uo pipefail
BIN=${OT_BIN:?OT_BIN not set}
skip() { echo "SKIP: $*"; exit 77; }
command -v tshark >/dev/null || skip "tshark is not installed (apt-get install tshark)"
[ -x "$BIN/ot-pcapgen" ] || { echo "FAIL: $BIN/ot-pcapgen not built"; exit 1; }
gen="$BIN/ot-pcapgen"

work=$(mktemp -d /tmp/ot-pcapgen-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# --- 1. command line ---------------------------------------------------------

"$gen" --help >"$work/help" 2>&1 && grep -q "ot-pcapgen bench OUT.pcap" "$work/help" &&
    ok "--help" || fail "--help"
bad_args() { # expected: exit 2 and a message on standard error
    "$gen" "$@" >/dev/null 2>"$work/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ -s "$work/err" ]; then ok "rejects: $*"; else fail "'$*' exited $rc"; fi
}
bad_args
bad_args frobnicate x.pcap
bad_args demo
bad_args demo a.pcap b.pcap
bad_args demo --packets 5 x.pcap
bad_args bench x.pcap --packets
bad_args bench x.pcap --packets 0
bad_args bench x.pcap --packets -5
bad_args bench x.pcap --packets 12abc
bad_args bench x.pcap --flows 99999999999
bad_args bench x.pcap --seed ten
bad_args bench x.pcap --color
"$gen" demo /nonexistent-dir/x.pcap 2>/dev/null
[ $? -eq 1 ] && ok "unwritable output: exit 1" || fail "unwritable output should exit 1"

# --- 2. the demo, deterministic -----------------------------------------------

demo="$work/demo.pcap"
"$gen" demo "$demo" 2>"$work/summary" || { fail "ot-pcapgen demo failed: $(cat "$work/summary")"; exit 1; }
grep -q "^ot-pcapgen: wrote .* packets" "$work/summary" && ok "summary: $(cat "$work/summary")" ||
    fail "no summary line on standard error"
"$gen" demo "$work/again.pcap" 2>/dev/null && cmp -s "$demo" "$work/again.pcap" &&
    ok "demo is deterministic" || fail "two demo runs differ"
"$gen" demo - 2>/dev/null | cmp -s "$demo" - && ok "demo to standard output" ||
    fail "demo on standard output differs from the file"

# --- 3. tshark finds nothing wrong ---------------------------------------------

TS=(tshark -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE)
# Prints the lines of `tshark -V` that report a problem, after the allowed warnings.
problems() {
    "${TS[@]}" -r "$1" -V 2>/dev/null |
        grep -E 'Malformed|Checksum Status: Bad|[Ii]ncorrect|Expert Info \((Error|Warning)/' |
        grep -v 'Expert Info (Warning/Sequence)' |
        grep -v 'Decoded [0-9]* bytes, but packet legnth is'
}
p=$(problems "$demo")
[ -z "$p" ] && ok "demo: no malformed packet, bad checksum or error" ||
    fail "demo: tshark reports problems:"$'\n'"$(echo "$p" | sort | uniq -c | head -20)"
"${TS[@]}" -r "$demo" -o tcp.check_checksum:TRUE -Y "tcp.checksum.status==2 || udp.checksum.status==2 || ip.checksum.status==2" 2>/dev/null >"$work/badsum"
[ ! -s "$work/badsum" ] && ok "demo: checksums good" || fail "demo: bad checksums: $(head -3 "$work/badsum")"

# --- 4. protocols and values -------------------------------------------------

tshark -r "$demo" -q -z io,phs 2>/dev/null >"$work/phs"
for proto in arp dhcp dns http tls ssh smb2 rdp ftp telnet pop imap smtp icmp icmpv6 vlan ipv6 data-text-lines json urlencoded-form; do
    grep -qE "^ *$proto +frames:" "$work/phs" && ok "protocol $proto" || fail "protocol $proto missing"
done

# values FILTER FIELD EXPECTED... : each EXPECTED is one of FIELD's values in the frames
# matching FILTER ("" for all frames).  Checks are queued, then run_values runs tshark
# once per distinct filter with all the fields asked under it.
V_FILTER=()
V_FIELD=()
V_WANT=()
values() {
    V_FILTER+=("$1")
    V_FIELD+=("$2")
    shift 2
    local IFS=$'\x1f'
    V_WANT+=("$*")
}
run_values() {
    local f i col want filters idx args wants
    mapfile -t filters < <(printf '%s\n' "${V_FILTER[@]}" | sort -u)
    for f in "${filters[@]}"; do
        idx=()
        args=()
        for i in "${!V_FILTER[@]}"; do
            if [ "${V_FILTER[$i]}" = "$f" ]; then
                idx+=("$i")
                args+=(-e "${V_FIELD[$i]}")
            fi
        done
        tshark -r "$demo" ${f:+-Y "$f"} -T fields -E occurrence=a -E aggregator=$'\x1f' \
            -E separator=$'\t' "${args[@]}" 2>/dev/null >"$work/dump"
        col=1
        for i in "${idx[@]}"; do
            cut -f$col "$work/dump" | tr '\037' '\n' | sort -u >"$work/values"
            IFS=$'\x1f' read -ra wants <<<"${V_WANT[$i]}"
            for want in "${wants[@]}"; do
                if grep -qxF -- "$want" "$work/values"; then
                    ok "${V_FIELD[$i]} = $want${f:+ [$f]}"
                else
                    fail "${V_FIELD[$i]}: no '$want' in [${f:-all}] (got: $(tr '\n' '|' <"$work/values" | cut -c1-300))"
                fi
            done
            col=$((col + 1))
        done
    done
}
# count FILTER N : exactly N frames match FILTER.
count() {
    local n
    n=$(tshark -r "$demo" -Y "$1" 2>/dev/null | wc -l)
    [ "$n" -eq "$2" ] && ok "$2 frames: $1" || fail "expected $2 frames for [$1], got $n"
}

values "" dns.qry.name www.example.com files.example.org portal.example.com www.example.org \
    example.com nonexistent.example.com big.example.com mail.example.com time.example.net
values "" dns.a 203.0.113.80 203.0.113.81 203.0.113.43 198.51.100.20 203.0.113.25
values "" dns.aaaa 2001:db8:85a3::80
values "" dns.cname files.example.org.edgekey.example.net e1234.a.cdn.example.net
values "" dns.mx.mail_exchange mail.example.com mail2.example.com
values "" dns.txt "v=spf1 mx ip4:203.0.113.0/24 -all" "MS=ms12345678"
values "dns.flags.rcode==3" dns.qry.name nonexistent.example.com
values "dns.flags.truncated==1" dns.qry.name big.example.com
values "tcp && dns.flags.response==1" dns.qry.name big.example.com
values "ip.flags.mf==1 || ip.frag_offset>0" udp.srcport 53
values "dns.flags.response==1 && ip.frag_offset>0" dns.resp.type 48
values ipv6 dns.qry.name www.example.com

values "" http.host www.example.com files.example.org 192.168.1.30
values "" http.request.method GET POST
values "" http.referer http://search.example.net/search?q=example http://files.example.org/upload
values "" http.content_type application/x-www-form-urlencoded
values "" http.authbasic demo:demo-pass
values "" http.response.code 200 401
values "" http.transfer_encoding chunked
values "" http.content_length 179
values "" http.user_agent \
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
values "vlan && http.request" vlan.id 100
values "" tcp.analysis.out_of_order 1
count "tcp.analysis.spurious_retransmission" 1

values "" tls.handshake.extensions_server_name portal.example.com www.example.org
values "" tls.handshake.extensions_alpn_str h2 http/1.1
values "" tls.handshake.extensions_supported_group 0x001d 0x0017 0x0018
values "" tls.handshake.extensions.supported_version 0x0304
values "tls.handshake.type==2" tls.handshake.extensions.supported_version 0x0304
values "tls.handshake.type==2" tls.handshake.ciphersuite 0xc02f 0x1301
values "" x509ce.dNSName portal.example.com www.example.com
values "" tls.handshake.sig_hash_alg 0x0804
values "tls.handshake.type==1 && tls.handshake.extensions_server_name==\"portal.example.com\"" \
    tls.handshake.extensions_ec_point_format 0
# GREASE: a reserved 0x?a?a value first in the cipher list of each ClientHello
g=$(tshark -r "$demo" -Y "tls.handshake.type==1" -T fields -e tls.handshake.ciphersuite 2>/dev/null |
    grep -cE '^0x([0-9a-f])a\1a,')
[ "$g" -eq 2 ] && ok "GREASE in both ClientHellos" || fail "GREASE: $g ClientHellos start with it"

values "" ssh.protocol SSH-2.0-OpenSSH_9.2p1 "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3"
values "" ssh.message_code 20 30 31 21
values "ssh.message_code==20" ipv6.dst fd6f:7461:7375:1::10

values "" dhcp.option.dhcp 1 2 3 5
values "" dhcp.option.hostname office-pc1
values "" dhcp.option.vendor_class_id "MSFT 5.0"
values "dhcp.option.dhcp==5" dhcp.ip.your 192.168.1.101

values "" smb2.dialect 0x0311
values "smb2.flags.response==1" smb2.dialect 0x0311
values "" rdp.rt_cookie "Cookie: mstshash=admin"
values "" rdp.neg_type 0x01 0x02

values "" ftp.request.command USER PASS SYST PWD QUIT
values "" ftp.request.arg alice alice-ftp-pw
values "" ftp.response.code 220 331 230 221
values "" telnet.cmd 251 253
tshark -r "$demo" -Y telnet -T fields -e telnet.data 2>/dev/null | grep -q "office-router login: " &&
    ok "telnet login: prompt" || fail "telnet: no login prompt"
tshark -r "$demo" -Y telnet -T fields -e telnet.data 2>/dev/null | grep -q "Password: " &&
    ok "telnet Password: prompt" || fail "telnet: no Password prompt"
values "" pop.request.command USER PASS STAT QUIT
values "" pop.request.parameter bob bob-pop3-pw
values "" imap.request.password carol-imap-pw
values "" smtp.req.command EHLO AUTH MAIL RCPT DATA QUIT
values "" smtp.req.parameter LOGIN
values "" smtp.response.code 235 250 354

values "" icmp.type 8 0
values "" icmpv6.type 128 129
count "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==198.51.100.77 && ip.dst==192.168.1.10" 10
count "ip.src==198.51.100.77 || ip.dst==198.51.100.77" 10
count arp 5
run_values

# Every conversation except the scan ends with FIN from both sides.
streams=$(tshark -r "$demo" -Y "tcp.flags.syn==1 && tcp.flags.ack==0" -T fields -e tcp.stream 2>/dev/null | wc -l)
fins=$(tshark -r "$demo" -Y "tcp.flags.fin==1" -T fields -e tcp.stream 2>/dev/null | wc -l)
[ "$fins" -eq $(((streams - 10) * 2)) ] && ok "$((streams - 10)) TCP conversations closed with FIN" ||
    fail "$streams TCP streams (10 scan SYNs) but $fins FINs"

# The minute the demo promises.
first=$(tshark -r "$demo" -c 1 -T fields -e frame.time_epoch 2>/dev/null)
last=$(tshark -r "$demo" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
case "$first" in 1768467600.*) ok "starts 2026-01-15T09:00:00Z" ;; *) fail "first packet at $first" ;; esac
case "$last" in 176846765[0-9].*) ok "ends within the minute" ;; *) fail "last packet at $last" ;; esac

# --- 5. bench --------------------------------------------------------------------

bench="$work/bench.pcap"
"$gen" bench "$bench" --packets 20000 --seed 5 2>/dev/null || fail "bench failed"
"$gen" bench "$work/bench2.pcap" --packets 20000 --seed 5 2>/dev/null
cmp -s "$bench" "$work/bench2.pcap" && ok "bench: same seed, same file" || fail "bench: same seed differs"
"$gen" bench "$work/bench3.pcap" --packets 20000 --seed 6 2>/dev/null
cmp -s "$bench" "$work/bench3.pcap" && fail "bench: another seed, same file" || ok "bench: seed matters"
n=$(tshark -r "$bench" -T fields -e frame.number 2>/dev/null | wc -l)
[ "$n" -eq 20000 ] && ok "bench: exactly 20000 packets" || fail "bench: $n packets"
p=$(problems "$bench")
[ -z "$p" ] && ok "bench: no malformed packet, bad checksum or error" ||
    fail "bench: tshark reports problems:"$'\n'"$(echo "$p" | sort | uniq -c | head -20)"
syn=$(tshark -r "$bench" -Y "tcp.flags.syn==1 && tcp.flags.ack==0" 2>/dev/null | wc -l)
fin=$(tshark -r "$bench" -Y "tcp.flags.fin==1" 2>/dev/null | wc -l)
[ "$syn" -gt 100 ] && [ "$fin" -eq $((syn * 2)) ] && ok "bench: $syn TCP flows, all closed" ||
    fail "bench: $syn SYNs, $fin FINs"
a=$(tshark -r "$bench" -Y "tcp.analysis.flags" 2>/dev/null | wc -l)
[ "$a" -eq 0 ] && ok "bench: no TCP analysis warnings" || fail "bench: $a TCP analysis warnings"
tshark -r "$bench" -q -z io,phs 2>/dev/null >"$work/bphs"
for proto in http tls dns ntp syslog ipv6; do
    grep -qE "^ *$proto +frames:" "$work/bphs" && ok "bench protocol $proto" || fail "bench: no $proto"
done

if [ "$failures" -ne 0 ]; then
    echo "FAIL: $failures check(s) failed"
    exit 1
fi
echo "PASS"
