#!/usr/bin/env bash
# The production topology on one machine, in the foreground: the PingOne emulator, then the
# Procfile under honcho with two web processes (gunicorn, gunicorn.conf.py) on two ports, two
# Celery workers with node names of their own (worker.1@host, worker.2@host) and one beat, all
# sharing one database, one Redis and, when STORAGE_BACKEND=s3, one bucket. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# The Procfile names its programs as a deployment does (gunicorn, celery): take them from the venv.
export PATH="$PWD/.venv/bin:$PATH"

web_port=${PORT:-8000}
emulator_port=${EMULATOR_PORT:-8900}
data_dir=${PORTAL_DATA_DIR:-.data}
run_dir="$data_dir/prod-like"
mkdir -p "$run_dir/emulator"

# Production settings (debug off, gunicorn, workers apart), served over local http.
export DJANGO_DEBUG=0
export DJANGO_SECURE_COOKIES=${DJANGO_SECURE_COOKIES:-0}
export PORTAL_ALLOW_HTTP_IMAGE_LINKS=${PORTAL_ALLOW_HTTP_IMAGE_LINKS:-1}
export PINGONE_AUTH_BASE_URL=${PINGONE_AUTH_BASE_URL:-http://127.0.0.1:$emulator_port}
export PINGONE_API_BASE_URL=${PINGONE_API_BASE_URL:-http://127.0.0.1:$emulator_port/v1}
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
# One secret key for every web process (sessions and CSRF tokens cross between them), kept
# across runs so a restart signs nobody out.
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s "$run_dir/secret-key" ] || $PY -c "import secrets; print(secrets.token_urlsafe(50))" >"$run_dir/secret-key"
  DJANGO_SECRET_KEY=$(cat "$run_dir/secret-key")
  export DJANGO_SECRET_KEY
fi

# The emulator's default configuration, with the portal's callbacks on both web ports.
$PY - "$web_port" >"$run_dir/emulator-config.json" <<'PY'
import copy, json, sys
from pingone_emulator.config import DEFAULT_CONFIG

first = int(sys.argv[1])
origins = [f"http://{host}:{port}" for port in (first, first + 1) for host in ("127.0.0.1", "localhost")]
config = copy.deepcopy(DEFAULT_CONFIG)
web = next(app for app in config["applications"] if app["type"] == "oidc_web")
web["redirect_uris"] = [f"{origin}/auth/callback/" for origin in origins]
web["post_logout_redirect_uris"] = [f"{origin}/" for origin in origins]
print(json.dumps(config, indent=2))
PY

emulator_pid=
stop_emulator() {
  [ -n "$emulator_pid" ] && kill -TERM "$emulator_pid" 2>/dev/null || true
}
trap stop_emulator EXIT
$PY -m pingone_emulator --port "$emulator_port" --data-dir "$run_dir/emulator" \
  --config "$run_dir/emulator-config.json" >"$run_dir/emulator.log" 2>&1 &
emulator_pid=$!
scripts/prepare-local.sh "$emulator_port"

cat <<MSG

  Two web processes: http://127.0.0.1:$web_port and http://127.0.0.1:$((web_port + 1))
  (one portal: sign in on one, carry on on the other). Workers worker.1 and worker.2, one beat.
  The PingOne emulator: http://127.0.0.1:$emulator_port (log: $run_dir/emulator.log)
  Sign in as designer@example.com / password. Ctrl-C stops everything.

MSG
honcho start --procfile Procfile --port "$web_port" --concurrency web=2,worker=2,beat=1
