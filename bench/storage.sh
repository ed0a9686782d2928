#!/usr/bin/env bash
# Benchmarks Wharf's storage back ends on this machine, in one run: the filesystem, S3 (s3rver) and Azure Blob
# (Azurite) against distribution 2.8 (Debian's docker-registry) on the filesystem — push and pull of a 256 MiB blob,
# a skopeo image round trip, and the redirect's effect on pull time.
# Usage: bench/storage.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-tools.sh
scripts/publish-wharf.sh
dotnet run --project bench -c Release -- storage "${1:-1}"
