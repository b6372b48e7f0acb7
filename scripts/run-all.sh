#!/usr/bin/env bash
# Start the PingOne emulator, the portal, a Celery worker and beat in the foreground; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# A local development portal: debug pages, and cookies that work over http.
export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
export DJANGO_SECURE_COOKIES=${DJANGO_SECURE_COOKIES:-0}
export PINGONE_AUTH_BASE_URL=${PINGONE_AUTH_BASE_URL:-http://127.0.0.1:8900}
export PINGONE_API_BASE_URL=${PINGONE_API_BASE_URL:-http://127.0.0.1:8900/v1}
data_dir=${PORTAL_DATA_DIR:-.data}
mkdir -p "$data_dir/emulator"

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

$PY -m pingone_emulator --port 8900 --data-dir "$data_dir/emulator" &
pids+=($!)
scripts/prepare-local.sh 8900

.venv/bin/celery -A portal worker --loglevel=INFO --concurrency=2 &
pids+=($!)
.venv/bin/celery -A portal beat --loglevel=INFO --schedule "$data_dir/celerybeat-schedule" &
pids+=($!)
$PY manage.py runserver 127.0.0.1:8000 --noreload &
pids+=($!)

cat <<'MSG'

  The portal is starting on http://127.0.0.1:8000
  Sign in as designer@example.com / password (or admin@example.com, outsider@example.com).
  Press Ctrl-C to stop the portal, the worker, beat and the emulator.

MSG
wait -n "${pids[@]}"
