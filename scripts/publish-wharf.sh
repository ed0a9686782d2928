#!/usr/bin/env bash
# Publishes Wharf into artifacts/wharf as it ships (deploy/Dockerfile, the systemd unit's docs): for this machine's
# platform, framework-dependent and ReadyToRun-compiled, so it starts on precompiled code (docs/gc.md); still run as
# `dotnet artifacts/wharf/wharf.dll`. The test suite and every benchmark run this build, so what they measure is
# what is deployed.
set -euo pipefail
cd "$(dirname "$0")/.."
rid=linux-$(uname -m | sed 's/^x86_64$/x64/; s/^aarch64$/arm64/')
dotnet publish src/Portal -c Release -r "$rid" --self-contained false -o artifacts/wharf -nologo -v q
