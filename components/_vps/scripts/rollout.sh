#!/usr/bin/env bash
# Health-gated rolling replacement of one compose service (in the style of Kamal and
# docker-rollout).
#
#   rollout.sh SERVICE PORT HEALTH_PATH [TIMEOUT_SECONDS=120]
#
# Run from the release directory (the one holding compose.yaml), as root, by release.sh.
# New containers start beside the old ones; only when every new container answers
# http://<its address>:PORT<HEALTH_PATH> with a 2xx are the old ones stopped and removed.
# Caddy resolves the service name through Docker's DNS, so it follows the change by itself.
# If a new container does not become healthy within TIMEOUT_SECONDS, the new containers are
# removed, the old ones are left untouched, and the script exits 1.
#
# Nothing from the service's environment or logs is printed: this output lands in CI logs.
set -euo pipefail

COMPOSE_PROJECT=${COMPOSE_PROJECT:-multicloud}

usage() {
  echo "usage: rollout.sh SERVICE PORT HEALTH_PATH [TIMEOUT_SECONDS=120]" >&2
  exit 2
}

if [ "$#" -lt 3 ] || [ "$#" -gt 4 ]; then usage; fi
SERVICE=$1
PORT=$2
HEALTH_PATH=$3
TIMEOUT=${4:-120}
[[ "$SERVICE" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "rollout: invalid service name" >&2; usage; }
if ! [[ "$PORT" =~ ^[1-9][0-9]{0,4}$ ]] || [ "$PORT" -gt 65535 ]; then
  echo "rollout: PORT must be a TCP port number" >&2
  usage
fi
[[ "$HEALTH_PATH" == /* ]] || { echo "rollout: HEALTH_PATH must start with /" >&2; usage; }
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || { echo "rollout: TIMEOUT_SECONDS must be a positive integer" >&2; usage; }
[ -f compose.yaml ] || { echo "rollout: no compose.yaml in $(pwd)" >&2; exit 2; }

log() { echo "rollout $SERVICE: $*" >&2; }

dc() { docker compose -p "$COMPOSE_PROJECT" -f compose.yaml "$@"; }

# Every container ID of the service, running or not, one per line: a stopped leftover must
# count as "old", or compose would restart it to satisfy --scale and it would pass for new.
containers() { dc ps --all -q "$SERVICE"; }

short() { printf '%.12s' "$1"; }

# The container's address on its (first) network; empty while it has none.
address() {
  local addrs
  addrs=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" 2>/dev/null) || true
  printf '%s' "${addrs%% *}"
}

# wait_healthy ID... : every container answers its health check before the deadline.
# The response body is discarded and curl's own error names only the URL; --globoff: the
# path is a URL, never a curl pattern ({a,b} or [1-9]).
wait_healthy() {
  local deadline=$((SECONDS + TIMEOUT)) id addr err
  for id in "$@"; do
    log "waiting for $(short "$id") to answer ${HEALTH_PATH} on port ${PORT} (up to ${TIMEOUT}s)"
    err="no network address"
    while :; do
      addr=$(address "$id")
      if [ -n "$addr" ]; then
        if err=$(curl -fsS --globoff --noproxy '*' --max-time 2 -o /dev/null "http://${addr}:${PORT}${HEALTH_PATH}" 2>&1); then
          log "$(short "$id") is healthy at ${addr}:${PORT}"
          break
        fi
      fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        log "$(short "$id") not healthy after ${TIMEOUT}s: ${err:-no answer}"
        return 1
      fi
      sleep 1
    done
  done
}

remove() {
  [ "$#" -gt 0 ] || return 0
  docker stop -t 30 "$@" >/dev/null
  docker rm "$@" >/dev/null
}

# A failing `compose ps` must stop the script here, not read as "nothing is running".
old=()
ids=$(containers)
[ -z "$ids" ] || mapfile -t old <<<"$ids"

# First release of this service: nothing to keep serving, so start it and check it.
# On failure the containers stay in place (restarting per their policy) for inspection.
if [ "${#old[@]}" -eq 0 ]; then
  log "no running version; starting it"
  new=()
  if ! dc up -d --no-deps "$SERVICE" >&2 || ! ids=$(containers) || [ -z "$ids" ]; then
    echo "rollout of $SERVICE failed: compose could not start it" >&2
    exit 1
  fi
  mapfile -t new <<<"$ids"
  if ! wait_healthy "${new[@]}"; then
    echo "rollout of $SERVICE failed: the first version did not become healthy within ${TIMEOUT}s" >&2
    exit 1
  fi
  echo "rolled out $SERVICE: ${#new[@]} new container(s)"
  exit 0
fi

n=${#old[@]}
new=()
done_ok=0

# Whatever stops this script before the switch (a failed check, an error, a signal) takes
# the new containers away again; the old ones are never touched on that path.
discard_new() {
  if [ "$done_ok" -eq 0 ] && [ "${#new[@]}" -gt 0 ]; then
    log "removing the ${#new[@]} new container(s)"
    docker stop -t 10 "${new[@]}" >/dev/null 2>&1 || true
    docker rm -f "${new[@]}" >/dev/null 2>&1 || true
  fi
}
trap discard_new EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

is_old() {
  local id
  for id in "${old[@]}"; do [ "$id" = "$1" ] && return 0; done
  return 1
}

log "starting $n new container(s) beside $n old"
up_ok=1
dc up -d --no-deps --no-recreate --scale "$SERVICE=$((2 * n))" "$SERVICE" >&2 || up_ok=0
current=()
if ids=$(containers); then
  [ -z "$ids" ] || mapfile -t current <<<"$ids"
else
  up_ok=0
fi
for id in "${current[@]}"; do
  is_old "$id" || new+=("$id")
done

if [ "$up_ok" -eq 0 ] || [ "${#new[@]}" -eq 0 ]; then
  echo "rollout of $SERVICE failed: compose could not start the new container(s); the previous version keeps serving" >&2
  exit 1
fi

if ! wait_healthy "${new[@]}"; then
  echo "rollout of $SERVICE failed: new container(s) not healthy on ${HEALTH_PATH} within ${TIMEOUT}s; the previous version keeps serving" >&2
  exit 1
fi

# The switch: from here on the new containers stay, whatever happens to the old ones.
done_ok=1
log "all ${#new[@]} new container(s) healthy; stopping the $n old"
remove "${old[@]}"
echo "rolled out $SERVICE: ${#new[@]} new container(s)"
