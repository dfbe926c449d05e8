#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what hookreplay needs on Debian 12 (run as root). Only missing
# packages are installed; Node.js and npm come with the machine and are
# never installed from apt here.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libcurl4-openssl-dev
      libmicrohttpd-dev libcjson-dev libssl-dev libsqlite3-dev check)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(libxml2-utils chromium sqlite3 gzip openssl postgresql)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
