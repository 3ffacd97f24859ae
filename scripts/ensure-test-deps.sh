#!/bin/sh
# Makes sure what the tests drive from outside npm is installed:
# - Chromium for Playwright (its own browser download is not reachable here,
#   so the e2e tests use Debian's);
# - Python's websockets library, for the original demo's kind of client;
# - PostgreSQL 15 (+ contrib, for unaccent), redis-server and haproxy: the
#   store, bus and cluster tests start private instances of them (issue 14),
#   and none of them is skipped when one is missing.
# As root it installs them with apt-get; otherwise it says what to run.
set -eu
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
python="${PYTHON:-/usr/bin/python3}"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_ext="${PG_SHARE:-/usr/share/postgresql/15}/extension"

check() {
  missing=""
  [ -x "$chromium" ] || missing="$missing chromium"
  "$python" -c 'import websockets' 2>/dev/null || missing="$missing python3-websockets"
  [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/pg_ctl" ] || missing="$missing postgresql"
  [ -f "$pg_ext/unaccent.control" ] || missing="$missing postgresql-contrib"
  command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
}

check
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing test dependencies with apt-get:$missing" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  check
  [ -z "$missing" ] && exit 0
fi
echo "Missing test dependencies:$missing. Install them with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
echo "(or set CHROMIUM_PATH to a Chromium binary, PYTHON to a python with websockets, PG_BIN to PostgreSQL 15's bin folder)" >&2
exit 1
