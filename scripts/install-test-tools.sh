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
  [dockerd]=docker.io
  [docker]=docker.io
  [nginx]=nginx
  [nsenter]=util-linux
  [ip]=iproute2
  [containerd]=containerd
  [ctr]=containerd
  [wrk]=wrk
  [npm]=npm
  [ab]=apache2-utils
  [losetup]=mount
  [mkfs.ext4]=e2fsprogs
  [findmnt]=util-linux
)
missing=()
for tool in "${!packages[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${packages[$tool]}")
done
install_node_tools() {
  # The S3 and Azure Blob emulators the storage tests run against, pinned, into the project's git-ignored .tools/.
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/node"
  [ -x "$dir/node_modules/.bin/s3rver" ] && [ -x "$dir/node_modules/.bin/azurite-blob" ] && return 0
  echo "installing the storage emulators into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error s3rver@3.7.1 azurite@3.37.0
}

install_debian_packages() {
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing test tools: ${missing[*]}"
  for attempt in 1 2 3 4 5; do
    # Another install may hold the dpkg lock for a while; wait and retry.
    if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
      return 0
    fi
    echo "apt-get failed (attempt $attempt); retrying in 15 s" >&2
    sleep 15
  done
  echo "could not install: ${missing[*]}" >&2
  return 1
}

install_debian_packages
install_node_tools
