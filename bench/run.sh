#!/usr/bin/env bash
# Benchmarks Wharf against distribution 2.8 (Debian's docker-registry) on this machine, in one run.
# Usage: bench/run.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
dotnet publish src/Portal -c Release -o artifacts/wharf -nologo -v q
dotnet run --project bench -c Release -- "${1:-3}"
