#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer; start local
# Debian-packaged servers when they are installed but stopped. Fails loudly otherwise.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432 (install it, or set TEST_DATABASE_URL)" >&2; exit 1; }

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  fi
fi
redis_up || { echo "Redis is not reachable on 127.0.0.1:6379 (install it, or set TEST_REDIS_URL)" >&2; exit 1; }
echo "PostgreSQL and Redis are up"
