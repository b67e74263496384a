#!/usr/bin/env bash
# Apply a release bundle to this host and start it.
#
# Run as root by the HostRelease command over SSH. The bundle (a base64-encoded tar.gz of
# compose.yaml, Caddyfile, env and secret files) arrives on standard input, so no secret is
# ever on a command line or in user_data. The server itself is never replaced by a release.
set -euo pipefail
umask 077

APP_DIR=${APP_DIR:-/srv/app}
DATA_DIR=${DATA_DIR:-/srv/data}
COMPOSE_PROJECT=${COMPOSE_PROJECT:-multicloud}
WAIT_SECONDS=${WAIT_SECONDS:-300}

# The first release may arrive while cloud-init is still installing Docker; wait for it.
# Exit code 2 means "done, with recoverable errors", which is still done.
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init status --wait >/dev/null || [ $? -eq 2 ] || { echo "cloud-init failed on this host" >&2; exit 1; }
fi

staging=$(mktemp -d "${APP_DIR}.next.XXXXXX")
cleanup() { rm -rf "$staging"; }
trap cleanup EXIT

base64 -d | tar -xzf - --same-owner --same-permissions -C "$staging"

# The data volume first: nothing stateful may start on the root disk by accident.
# shellcheck source=/dev/null
. "$staging/host.env"
DATA_DIR="$DATA_DIR" bash "$staging/bin/mount-data.sh" "$DATA_DEVICE"

# Admin keys are part of the release, so adding or removing one needs no new server.
[ -s "$staging/authorized_keys" ] || { echo "release has no admin SSH keys; refusing" >&2; exit 1; }
install -d -o deploy -g deploy -m 0700 /home/deploy/.ssh
install -o deploy -g deploy -m 0600 "$staging/authorized_keys" /home/deploy/.ssh/authorized_keys

# Directories on the data volume, with the owner each image runs as.
while read -r path uid gid mode; do
  [ -n "$path" ] || continue
  install -d -o "$uid" -g "$gid" -m "$mode" "$DATA_DIR/$path"
done < "$staging/data-dirs.txt"

# Per-service preparation (for example Postgres' TLS key), idempotent.
while read -r script args; do
  [ -n "$script" ] || continue
  # shellcheck disable=SC2086 # args are a word list by design
  DATA_DIR="$DATA_DIR" bash "$staging/bin/$script" $args
done < "$staging/prepare.txt"

# Swap the release directory; keep the previous one for inspection and rollback.
rm -rf "${APP_DIR}.previous"
if [ -d "$APP_DIR" ]; then
  mv "$APP_DIR" "${APP_DIR}.previous"
fi
mv "$staging" "$APP_DIR"
chmod 0755 "$APP_DIR"
trap - EXIT

cd "$APP_DIR"
if ! docker compose -p "$COMPOSE_PROJECT" -f compose.yaml up -d --remove-orphans --wait --wait-timeout "$WAIT_SECONDS"; then
  echo "release failed: containers did not become healthy within ${WAIT_SECONDS}s" >&2
  docker compose -p "$COMPOSE_PROJECT" -f compose.yaml ps >&2 || true
  # Application logs are not printed here: they may hold secrets and would land in CI logs.
  echo "inspect with: ssh deploy@<host> sudo docker compose -p $COMPOSE_PROJECT logs" >&2
  exit 1
fi
docker image prune -f >/dev/null 2>&1 || true
echo "release applied"
