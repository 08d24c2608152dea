#!/usr/bin/env bash
# Makes sure the system can load TorchSharp 0.107's native library (libLibTorchSharp.so needs GLIBCXX_3.4.32).
# Idempotent: when the check passes it changes nothing and returns at once.
set -euo pipefail

required=GLIBCXX_3.4.32

find_libstdcxx() {
  { ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF; exit}'; } || true
}

has_required() {
  local lib
  lib=$(find_libstdcxx)
  [ -n "$lib" ] && grep -aq "$required" "$lib"
}

if has_required; then
  exit 0
fi

lib=$(find_libstdcxx)
echo "setup: ${lib:-libstdc++.so.6 (not found)} lacks $required, which TorchSharp's native library needs." >&2

. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" != debian ] || [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "setup: this is ${PRETTY_NAME:-an unknown system}; install a libstdc++6 that provides $required (GCC 13 or newer) and run again." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup: Debian 12 needs libstdc++6 from Debian 13 (trixie); run this script as root (or with sudo) to install it." >&2
  exit 1
fi

# The trixie source uses the same Debian mirror as the system's own bookworm source.
mirror=$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
  /^URIs:/ {uri=$2} /^Suites:/ {suites=$0}
  /^$/ {if (suites ~ / bookworm( |$)/ && uri != "") {print uri; exit} uri=""; suites=""}
  END {if (suites ~ / bookworm( |$)/ && uri != "") print uri}' | head -n 1; } || true)
[ -n "$mirror" ] || mirror=$( { grep -hs '^deb .* bookworm ' /etc/apt/sources.list | awk '{print $2; exit}'; } || true)
if [ -z "$mirror" ]; then
  echo "setup: found no Debian mirror in the apt sources to add Debian 13 (trixie) from; install a libstdc++6 with $required by hand." >&2
  exit 1
fi

echo "setup: adding a Debian 13 (trixie) apt source ($mirror), pinned low, and installing libstdc++6 from it (this also updates libc6)." >&2
cat > /etc/apt/sources.list.d/deltalora-trixie.sources <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/deltalora-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t trixie libstdc++6 >/dev/null

if has_required; then
  echo "setup: libstdc++6 now provides $required." >&2
else
  echo "setup: libstdc++6 from trixie still lacks $required; TorchSharp will not load." >&2
  exit 1
fi
