#!/usr/bin/env bash
# The portal at scale in Chromium (300 repositories, 2,000 tags in one, a layer in 4,000 manifests): time to usable
# and per sort or page change, against the targets. Usage: bench/portal.sh [rounds] [--sql]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
scripts/publish-wharf.sh
dotnet run --project bench -c Release -- portal "$@"
