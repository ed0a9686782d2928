#!/usr/bin/env bash
# Times garbage collection, Wharf against distribution 2.8 (Debian's docker-registry), on the same generated
# registry:2 data directory. Usage: bench/gc.sh [manifests (10000)] [blobs (50000)]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
dotnet publish src/Portal -c Release -o artifacts/wharf -nologo -v q
dotnet run --project bench -c Release -- gc "${1:-10000}" "${2:-50000}"
