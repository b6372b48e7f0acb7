#!/usr/bin/env bash
# Wait for the local PingOne emulator, migrate, and register its Production and Staging
# environments (open to its Branding group). Used by `make run` and `make run-prod-like`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
emulator_port=${1:-8900}

for _ in $(seq 100); do
  $PY -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$emulator_port/__emulator__/config', timeout=1)" \
    2>/dev/null && break
  sleep 0.1
done

$PY manage.py migrate --noinput
$PY manage.py add_environment production 6b2c1d7f-8e40-4d3b-8c2f-1e9a3b7d5f02 --name Production --groups Branding
$PY manage.py add_environment staging 7c3d2e80-9f51-4e4c-9d30-2fab4c8e6a03 --name Staging --groups Branding
