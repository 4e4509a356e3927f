#!/usr/bin/env bash
# `make bench`: every benchmark of the project on PostgreSQL, each beside its baseline from
# the same run. Two databases (created when missing): BENCH_DATABASE_URL gets the generated
# data sets (20,000 employees, a 20,000-case library, KB entries), BENCH_PAGES_DATABASE_URL
# the demo data plus a realistic population the page load test logs into (bench_population:
# 5 centres × 1,700 CSRs with a year of history and several hundred training cases per level;
# bench_kb_search: 100,000 KB entries). Both are built once and reused. Reports go to bench-reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
SERVER=${BENCH_SERVER_URL:-postgres://postgres@127.0.0.1:5432}
DATA_DB=${BENCH_DATABASE_URL:-$SERVER/cc_bench}
PAGES_DB=${BENCH_PAGES_DATABASE_URL:-$SERVER/cc_bench_pages}
# The retention benchmark's 20,000 employees get a database of their own: in DATA_DB they
# doubled the rosters' rows on every run after the first.
RETENTION_DB=${BENCH_RETENTION_DATABASE_URL:-$SERVER/cc_bench_retention}
export DEBUG=1 REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/5}
mkdir -p bench-reports
for url in "$DATA_DB" "$PAGES_DB" "$RETENTION_DB"; do
  name=${url##*/}
  psql "${url%/*}/postgres" -tAc "select 1 from pg_database where datname='$name'" | grep -q 1 \
    || psql "${url%/*}/postgres" -qc "create database $name"
done
bash scripts/ensure-wrk.sh
DATABASE_URL=$DATA_DB $BIN/python manage.py migrate -v0
DATABASE_URL=$DATA_DB $BIN/python manage.py bench_roster_export | tee bench-reports/rosters.txt
DATABASE_URL=$DATA_DB $BIN/python manage.py bench_case_prune | tee bench-reports/pruning.txt
DATABASE_URL=$RETENTION_DB $BIN/python manage.py migrate -v0
DATABASE_URL=$RETENTION_DB $BIN/python manage.py bench_retention | tee bench-reports/retention.txt
DATABASE_URL=$DATA_DB $BIN/python manage.py bench_kb_search | tee bench-reports/kb-search.txt
DATABASE_URL=$PAGES_DB $BIN/python manage.py migrate -v0
if ! DATABASE_URL=$PAGES_DB $BIN/python manage.py shell -c "from accounts.models import User; import sys; sys.exit(0 if User.objects.filter(staff_id='HB0001').exists() else 1)"; then
  DATABASE_URL=$PAGES_DB $BIN/python manage.py demo
fi
DATABASE_URL=$PAGES_DB $BIN/python manage.py bench_population | tee bench-reports/population.txt
# The rosters again on the population: the re-test roster's remedial plans there have
# positions, ratings, courses and studies to read (the generated 20,000 have none).
DATABASE_URL=$PAGES_DB $BIN/python manage.py bench_roster_export --existing \
  | tee bench-reports/rosters-population.txt
DATABASE_URL=$PAGES_DB $BIN/python manage.py bench_kb_search --entries 100000 --repeat 1 --no-baseline \
  | tee bench-reports/pages-kb.txt
DATABASE_URL=$PAGES_DB $BIN/python manage.py bench_pages --report bench-reports/pages.json | tee bench-reports/pages.txt
