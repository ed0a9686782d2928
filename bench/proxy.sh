#!/usr/bin/env bash
# Benchmarks the pull-through cache on this machine: skopeo pulls straight from distribution 2.8 (Debian's
# docker-registry) against pulls through Wharf, cold (fetched while streamed) and warm (from the cache), and eight
# concurrent cold pulls both ways.
# Usage: bench/proxy.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
scripts/publish-wharf.sh
dotnet run --project bench -c Release -- proxy "${1:-3}"
