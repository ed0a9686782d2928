#!/usr/bin/env bash
# Times garbage collection, Wharf against distribution 2.8 (Debian's docker-registry), on the same generated
# registry:2 data directory. Usage: bench/gc.sh [manifests (10000)] [blobs (50000)]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
# Published as Wharf ships (ReadyToRun for this platform, as test.sh and the Dockerfile do): the start is measured too.
scripts/publish-wharf.sh
dotnet run --project bench -c Release -- gc "${1:-10000}" "${2:-50000}"
