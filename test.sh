#!/usr/bin/env bash
# Runs every Wharf test: unit tests (on SQLite, and again on PostgreSQL), then end-to-end tests with real clients (skopeo) and the reference
# registry (Debian's docker-registry). Installs what the tests need on a fresh Debian machine first.
set -uo pipefail
cd "$(dirname "$0")"

scripts/install-test-tools.sh || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Portal.sln -c Release -nologo -v q || exit 1
scripts/publish-wharf.sh || exit 1

mkdir -p artifacts/test-results
status=0
summary=$(mktemp)

# A private PostgreSQL 15 cluster for the unit suite's PostgreSQL run (and the tests that need PostgreSQL).
pg_dir=$(mktemp -d /tmp/wharf-test-postgresql-XXXXXX); chmod 755 "$pg_dir"
stop_postgresql() { scripts/postgresql-test-cluster.sh stop "$pg_dir"; rm -rf "$pg_dir"; }
trap stop_postgresql EXIT
WHARF_TEST_POSTGRESQL=$(scripts/postgresql-test-cluster.sh start "$pg_dir") || { echo "could not start PostgreSQL for the tests" >&2; exit 1; }
export WHARF_TEST_POSTGRESQL

for project in tests/unit tests/e2e; do
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$(basename "$project").trx" --results-directory artifacts/test-results \
    2>&1 | tee -a "$summary" || status=1
done
# The unit suite again with every test host on its own PostgreSQL database.
WHARF_TEST_DATABASE=postgresql dotnet test tests/unit -c Release --no-build -nologo \
  --logger "trx;LogFileName=unit-postgresql.trx" --results-directory artifacts/test-results \
  2>&1 | tee -a "$summary" || status=1

# One closing line for the whole run, summed over the projects.
count() { grep -oE "$1: +[0-9]+" "$summary" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
rm -f "$summary"
[ "${skipped:-0}" -gt 0 ] && status=1   # a skipped test is not a passing one
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $status
