#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing (needs root and apt).
# Usage: scripts/system-deps.sh run|test
set -euo pipefail
purpose=${1:-run}

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Chinese text on posters and reports (WeasyPrint drops glyphs it has no font for)
have_pkg fonts-noto-cjk || have_pkg fonts-wqy-microhei || need+=(fonts-noto-cjk)
# fc-list: the poster code checks that a Chinese font is installed before rendering
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
# WeasyPrint's native libraries
have_pkg libpango-1.0-0 || need+=(libpango-1.0-0)
have_pkg libpangoft2-1.0-0 || need+=(libpangoft2-1.0-0)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$purpose" = test ]; then
  # PDF text extraction and rasterising in the poster and report tests
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  # the scale-out tests: PostgreSQL and Redis servers, and redis-server for the outage test
  command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  # the real browser of the journey and accessibility tests (tests/browser/)
  test -x /usr/bin/chromium || need+=(chromium)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing Debian packages: ${need[*]}. Install them (apt-get install ${need[*]}) and retry." >&2
  exit 1
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
