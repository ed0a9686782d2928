#!/usr/bin/env bash
# Benchmarks Wharf's hot paths against distribution 2.8 (Debian's docker-registry) and nginx on this machine, in
# one run, and prints one table (both figures, the ratio, the target, pass or miss). A full run writes
# bench/results/<date>.md (<date>-<HHMM>.md if that exists). Not a test: CI never runs it, except the smoke mode from the end-to-end tests.
# Usage: bench/run.sh [--smoke] [--no-build] [--only STEP,...]
#   --smoke     tiny sizes, a few seconds per workload: proves the script works; its figures mean nothing
#   --no-build  use the build already in artifacts/wharf and bench/bin (the test suite builds first)
#   --only      run only these steps (tokens, listings, manifests, pushes, get, pulls, skopeo, populate), to work
#               on one path; such a run writes no results file
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=false; build=true; only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=true ;;
    --no-build) build=false ;;
    --only) [ $# -ge 2 ] || { echo "--only needs a list of steps" >&2; exit 2; }; only=(--only "$2"); shift ;;
    *) echo "usage: bench/run.sh [--smoke] [--no-build] [--only STEP,...]" >&2; exit 2 ;;
  esac
  shift
done
scripts/install-test-tools.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if $build; then
  dotnet build Portal.sln -c Release -nologo -v q
  scripts/publish-wharf.sh
fi
if $smoke; then
  exec dotnet run --project bench -c Release --no-build -- --smoke "${only[@]}"
fi
# A second full run on the same day gets its own file, never the first one's.
results="bench/results/$(date -u +%Y-%m-%d).md"
[ -e "$results" ] && results="bench/results/$(date -u +%Y-%m-%d-%H%M).md"
exec dotnet run --project bench -c Release --no-build -- --results "$results" "${only[@]}"
