#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright; install it if it is missing.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "No /usr/bin/chromium and no apt-get: browser tests will be skipped." >&2
  exit 0
fi
sudo_cmd=$([[ $EUID -eq 0 ]] && echo "" || echo "sudo")
echo "Installing chromium and chromium-driver..."
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
