#!/usr/bin/env bash
# Make sure Redis answers on REDIS_URL's host and port (default 127.0.0.1:6379); start or install it if not.
# When DATABASE_URL points to a local Postgres, make sure that answers too.
set -euo pipefail
sudo_cmd=$([[ $EUID -eq 0 ]] && echo "" || echo "sudo")

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && read -r -t 2 line <&3 && [[ $line == +PONG* ]]) 2>/dev/null; }

if ! redis_up; then
  if ! command -v redis-server >/dev/null; then
    echo "Installing redis-server..."
    $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq redis-server
  fi
  echo "Starting Redis on 127.0.0.1:6379..."
  mkdir -p .data
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$PWD/.data" --logfile "$PWD/.data/redis.log"
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "Redis did not start; see .data/redis.log" >&2; exit 1; }
fi

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "Starting PostgreSQL..."
    if command -v pg_ctlcluster >/dev/null; then
      $sudo_cmd pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start
    else
      $sudo_cmd service postgresql start
    fi
    for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.1; done
  fi
fi
