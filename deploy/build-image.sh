#!/usr/bin/env bash
# Builds Wharf's container image from deploy/Dockerfile.
#
#   deploy/build-image.sh [TAG]                 # official .NET base images (needs mcr.microsoft.com)
#   WHARF_LOCAL_BASE=1 deploy/build-image.sh    # base images made here from the Debian mirror
#
# With WHARF_LOCAL_BASE=1 nothing is pulled from a container registry: debootstrap makes a Debian bookworm root
# filesystem from the Debian mirror, `docker import` turns it into an image, and two bases are built on it, laid
# out like Microsoft's (.NET in /usr/share/dotnet, /usr/bin/dotnet, user "app" with uid 1654):
#   wharf-local/dotnet-sdk:10.0     the .NET SDK installed on this machine (only the build stage uses it)
#   wharf-local/dotnet-aspnet:10.0  the .NET and ASP.NET Core runtimes of that SDK, nothing else
# The Dockerfile then runs unchanged with SDK_IMAGE/RUNTIME_IMAGE pointing at them. The build stage restores NuGet
# packages over the network (docker build --network host) and trusts this machine's CA bundle for that, so a TLS-
# intercepting egress proxy works too; the runtime image carries Debian's own ca-certificates only.
#
# DOCKER_HOST selects the engine as usual. WHARF_IMAGE_WORK (default /var/tmp/wharf-image) keeps the root
# filesystem between runs. Needs root (debootstrap), debootstrap and docker.
set -euo pipefail

tag="${1:-wharf:latest}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="${WHARF_IMAGE_WORK:-/var/tmp/wharf-image}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
dotnet_root="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"

build_args=()
if [[ "${WHARF_LOCAL_BASE:-0}" == 1 ]]; then
  for tool in debootstrap docker; do
    command -v "$tool" >/dev/null || { echo "build-image.sh: '$tool' is required (apt-get install $tool)" >&2; exit 1; }
  done
  [[ -x "$dotnet_root/dotnet" ]] || { echo "build-image.sh: no .NET SDK at $dotnet_root (set DOTNET_ROOT)" >&2; exit 1; }
  mkdir -p "$work"

  if ! docker image inspect wharf-local/debian:bookworm >/dev/null 2>&1; then
    if [[ ! -f "$work/rootfs.done" ]]; then
      rm -rf "$work/rootfs"
      # The runtime's own dependencies (what Microsoft's runtime-deps image installs), plus tzdata.
      debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,zlib1g,tzdata,libstdc++6,libgcc-s1 \
        bookworm "$work/rootfs" "$mirror"
      chroot "$work/rootfs" apt-get clean
      rm -rf "$work/rootfs/var/lib/apt/lists/"*
      touch "$work/rootfs.done"
    fi
    tar -C "$work/rootfs" -c . | docker import - wharf-local/debian:bookworm
  fi

  base="$work/base"
  rm -rf "$base" && mkdir -p "$base/sdk" "$base/aspnet/shared"
  cp -a "$dotnet_root/." "$base/sdk/"
  cp /etc/ssl/certs/ca-certificates.crt "$base/build-ca-certificates.crt"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$base/aspnet/"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$base/aspnet/shared/"

  cat > "$base/aspnet.Dockerfile" <<'EOF'
FROM wharf-local/debian:bookworm
COPY aspnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && groupadd --gid 1654 app && useradd --uid 1654 --gid app --no-create-home --shell /bin/false app
ENV APP_UID=1654 DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_HTTP_PORTS=8080
EOF
  cat > "$base/sdk.Dockerfile" <<'EOF'
FROM wharf-local/debian:bookworm
COPY sdk /usr/share/dotnet
COPY build-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_RUNNING_IN_CONTAINER=true DOTNET_NOLOGO=true DOTNET_CLI_TELEMETRY_OPTOUT=true NUGET_CERT_REVOCATION_MODE=offline
EOF
  docker build --network host -t wharf-local/dotnet-aspnet:10.0 -f "$base/aspnet.Dockerfile" "$base"
  docker build --network host -t wharf-local/dotnet-sdk:10.0 -f "$base/sdk.Dockerfile" "$base"
  rm -rf "$base"
  build_args+=(--build-arg SDK_IMAGE=wharf-local/dotnet-sdk:10.0 --build-arg RUNTIME_IMAGE=wharf-local/dotnet-aspnet:10.0)
fi

docker build --network host "${build_args[@]}" -t "$tag" -f "$here/Dockerfile" "$repo"
echo "built $tag"
