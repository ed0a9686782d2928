#!/usr/bin/env bash
# Installs, from Debian's packages, the real clients and servers Wharf's tests use; does nothing when they are present.
set -euo pipefail

declare -A packages=(
  [skopeo]=skopeo
  [docker-registry]=docker-registry
  [htpasswd]=apache2-utils
  [chromium]=chromium
  [curl]=curl
  [podman]=podman
  [sqlite3]=sqlite3
  [openssl]=openssl
  [pg_ctlcluster]=postgresql
  [wrk]=wrk
  [nginx]=nginx
)
missing=()
for tool in "${!packages[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${packages[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "installing test tools: ${missing[*]}"
for attempt in 1 2 3 4 5; do
  # Another install may hold the dpkg lock for a while; wait and retry.
  if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); retrying in 15 s" >&2
  sleep 15
done
echo "could not install: ${missing[*]}" >&2
exit 1
