#!/usr/bin/env bash
# `make run`: the wizard and one Celery worker on this machine; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-true}
port=${PORT:-8000}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$port}

scripts/ensure-redis.sh
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py ensureadmin

pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT
.venv/bin/celery -A wizard worker --loglevel INFO --concurrency 2 &
pids+=($!)
.venv/bin/python manage.py runserver "127.0.0.1:$port" &
pids+=($!)
echo "The wizard is at $SITE_URL/ (Ctrl-C stops it)."
wait -n
