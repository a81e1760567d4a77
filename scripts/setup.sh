#!/usr/bin/env bash
# Installs every Debian package Otasuke needs to build, test and run.
# Quick when everything is already there: it only asks dpkg.
set -euo pipefail

PACKAGES=(
    time bc
    build-essential cmake pkg-config clang libclang-rt-14-dev
    libpcap-dev libndpi-dev libcmocka-dev libjansson-dev libssl-dev
    libndpi-bin tshark wireshark-common tcpreplay iproute2 ieee-data python3
    dnsutils openssl curl nftables
    libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libsodium-dev zlib1g-dev
    libsqlite3-dev sqlite3 libpq-dev postgresql wrk
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        SUDO="sudo"
    else
        echo "setup: these packages are missing and I am not root: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
