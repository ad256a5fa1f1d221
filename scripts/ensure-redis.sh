#!/usr/bin/env bash
# Makes sure the Redis that CELERY_BROKER_URL names answers; starts a local one if it doesn't.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}

answers() { .venv/bin/python -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=2).ping()" "$url" 2>/dev/null; }

answers && exit 0
hostport=${url#redis://}; hostport=${hostport%%/*}; hostport=${hostport##*@}
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$hostport" ] && port=6379
case "$host" in
  127.0.0.1|localhost) ;;
  *) echo "Redis at $url does not answer; start it there or point CELERY_BROKER_URL elsewhere." >&2; exit 1 ;;
esac
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's redis-server…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server
  else
    echo "No Redis answers at $url and redis-server is not installed: run 'apt-get install redis-server' as root." >&2
    exit 1
  fi
fi
mkdir -p var
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$PWD/var" --dbfilename redis.rdb \
  --logfile "$PWD/var/redis.log" --pidfile "$PWD/var/redis.pid"
for _ in $(seq 50); do answers && { echo "Started redis-server on 127.0.0.1:$port."; exit 0; }; sleep 0.1; done
echo "redis-server did not start; see var/redis.log" >&2
exit 1
