#!/usr/bin/env bash
# Profiles one of Wharf's hot paths: steady load on a Wharf of its own while dotnet-trace samples its threads, then
# the methods longest on the stacks and Wharf's CPU time per operation. dotnet-trace is installed from NuGet into
# artifacts/tools on first use.
# Usage: bench/profile.sh manifest|manifest-digest|tags|head|blob|upload|populate|token [seconds (15)]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bench/profile.sh manifest|manifest-digest|tags|head|blob|upload|populate|token [seconds]" >&2; exit 2; }
scripts/install-test-tools.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ -x artifacts/tools/dotnet-trace ] || dotnet tool install --tool-path artifacts/tools dotnet-trace --version 10.0.750501
dotnet build Portal.sln -c Release -nologo -v q
scripts/publish-wharf.sh
exec dotnet run --project bench -c Release --no-build -- profile "$1" "$PWD/artifacts/tools/dotnet-trace" "${2:-15}"
