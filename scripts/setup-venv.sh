#!/usr/bin/env bash
# Create the virtualenv with a Python >= 3.11 and install the pinned requirements.
set -euo pipefail
python_bin=${1:-python3}
venv=${2:-.venv}

if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed; '$python_bin' is $("$python_bin" --version 2>&1)." >&2
  echo "Run with PYTHON=/path/to/python3.11 make ..." >&2
  exit 1
fi
if [[ ! -x "$venv/bin/python" ]]; then
  if ! "$python_bin" -m venv "$venv" 2>/dev/null; then
    # Debian and Ubuntu ship venv separately.
    if command -v apt-get >/dev/null; then
      sudo_cmd=$([[ $EUID -eq 0 ]] && echo "" || echo "sudo")
      $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq python3-venv
    fi
    rm -rf "$venv"
    "$python_bin" -m venv "$venv"
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r requirements-dev.txt -c constraints.txt
