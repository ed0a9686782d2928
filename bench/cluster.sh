#!/usr/bin/env bash
# Benchmarks Wharf as a cluster on this machine: pull throughput and manifest GETs per second through nginx with 1,
# 2 and 3 instances on one data directory and one PostgreSQL database, and the populate workload on SQLite, on
# PostgreSQL and on three instances, with distribution 2.8 (Debian's docker-registry) in the same run. A full run
# writes bench/results/<date>-cluster.md. Uses the PostgreSQL of WHARF_TEST_POSTGRESQL, else starts a private one.
# Usage: bench/cluster.sh [--smoke] [--no-build]
#   --smoke     tiny sizes, seconds per workload: proves the script works; its figures mean nothing
#   --no-build  use the build already in artifacts/wharf and bench/bin (the test suite builds first)
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=false; build=true
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=true ;;
    --no-build) build=false ;;
    *) echo "usage: bench/cluster.sh [--smoke] [--no-build]" >&2; exit 2 ;;
  esac
done
scripts/install-test-tools.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if $build; then
  dotnet build Portal.sln -c Release -nologo -v q
  scripts/publish-wharf.sh
fi
# The built program itself, not `dotnet run`: that would evaluate the project again (seconds on a busy machine).
bench=bench/bin/Release/net10.0/wharf-bench.dll
[ -f "$bench" ] || { echo "$bench is missing: run without --no-build, or build Portal.sln -c Release first" >&2; exit 1; }
if $smoke; then
  exec dotnet "$bench" cluster --smoke
fi
exec dotnet "$bench" cluster --results "bench/results/$(date -u +%Y-%m-%d)-cluster.md"
