#!/bin/sh
# Makes sure what the tests drive from outside npm is installed:
# - Chromium for Playwright (its own browser download is not reachable here,
#   so the e2e tests use Debian's);
# - Python's websockets library, for the original demo's kind of client.
# As root it installs them with apt-get; otherwise it says what to run.
set -eu
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
python="${PYTHON:-/usr/bin/python3}"

missing=""
[ -x "$chromium" ] || missing="$missing chromium"
"$python" -c 'import websockets' 2>/dev/null || missing="$missing python3-websockets"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing test dependencies with apt-get:$missing" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  [ -x "$chromium" ] && "$python" -c 'import websockets' 2>/dev/null && exit 0
fi
echo "Missing test dependencies:$missing. Install them with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
echo "(or set CHROMIUM_PATH to a Chromium binary and PYTHON to a python with websockets)" >&2
exit 1
