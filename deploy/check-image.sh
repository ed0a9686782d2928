#!/usr/bin/env bash
# Runs Wharf's image (deploy/build-image.sh) and checks it as a user would: the container starts as user "app"
# with its state in a fresh volume, `docker login` with the first Admin, push and pull of a small image, /readyz.
# Everything it creates (container, volume, images) is removed at the end. Uses the host's network (the engine
# may run without a bridge) on a free loopback port.
#
#   deploy/check-image.sh [TAG]       # default wharf:latest; DOCKER_HOST selects the engine
set -euo pipefail

tag="${1:-wharf:latest}"
name="wharf-check-$$"
volume="wharf-check-$$"
password="check-image-password-$$-$RANDOM"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
work="$(mktemp -d)"
export DOCKER_CONFIG="$work/docker-config"
registry="127.0.0.1:$port"

cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker volume rm "$volume" >/dev/null 2>&1 || true
  docker rmi "$registry/check/tiny:1" "wharf-check/tiny:1" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

docker run -d --name "$name" --network host -v "$volume:/var/lib/registry" \
  -e REGISTRY_HTTP_ADDR="$registry" -e WHARF_ADMIN_USER=admin -e WHARF_ADMIN_PASSWORD="$password" "$tag" >/dev/null
for _ in $(seq 1 120); do
  curl -fs "http://$registry/healthz" >/dev/null 2>&1 && break
  [[ "$(docker inspect -f '{{.State.Running}}' "$name")" == true ]] || { docker logs "$name"; echo "check-image.sh: the container exited" >&2; exit 1; }
  sleep 1
done
curl -fs "http://$registry/healthz" >/dev/null || { docker logs "$name"; echo "check-image.sh: Wharf did not answer /healthz" >&2; exit 1; }
[[ "$(docker exec "$name" id -un)" == app ]] || { echo "check-image.sh: the container does not run as user app" >&2; exit 1; }

echo "check-image.sh: $(date -u +%s%N)" > "$work/file"
tar -C "$work" -c file | docker import - wharf-check/tiny:1 >/dev/null
docker tag wharf-check/tiny:1 "$registry/check/tiny:1"
echo "$password" | docker login -u admin --password-stdin "$registry" >/dev/null
pushed="$(docker push "$registry/check/tiny:1" | sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p')"
docker rmi "$registry/check/tiny:1" wharf-check/tiny:1 >/dev/null
pulled="$(docker pull "$registry/check/tiny:1" | sed -n 's/^Digest: //p')"
[[ -n "$pushed" && "$pushed" == "$pulled" ]] || { echo "check-image.sh: pushed $pushed but pulled $pulled" >&2; exit 1; }
curl -fs -o /dev/null "http://$registry/readyz" || { echo "check-image.sh: /readyz is not ready" >&2; exit 1; }
docker exec "$name" test -f /var/lib/registry/wharf/registry.db || { echo "check-image.sh: the state is not in the volume" >&2; exit 1; }
echo "check-image.sh: $tag served docker login, push and pull of $pushed; /readyz ready; state in the volume"
