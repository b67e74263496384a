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

# Per-service preparation (for example Postgres' TLS key), idempotent. Each line is a
# shipped script's name and its arguments, plain words split on spaces (never globbed).
while read -r -a words; do
  [ "${#words[@]}" -gt 0 ] || continue
  case "${words[0]}" in
    */* | .*) echo "release has an invalid prepare step; refusing" >&2; exit 1 ;;
  esac
  DATA_DIR="$DATA_DIR" bash "$staging/bin/${words[0]}" "${words[@]:1}"
done < "$staging/prepare.txt"

# One-shot jobs (database setup such as CREATE EXTENSION), run from the new release before
# the swap: a failed job leaves the running release and its directory as they were.
if [ -f "$staging/docker/config.json" ]; then
  export DOCKER_CONFIG="$staging/docker"  # logins for private images
fi
(cd "$staging" && COMPOSE_PROJECT="$COMPOSE_PROJECT" bash bin/run-jobs.sh </dev/null) \
  || { echo "release failed: a setup job failed; nothing was changed" >&2; exit 1; }

# Swap the release directory; keep the previous one for inspection and rollback.
rm -rf "${APP_DIR}.previous"
if [ -d "$APP_DIR" ]; then
  mv "$APP_DIR" "${APP_DIR}.previous"
fi
mv "$staging" "$APP_DIR"
chmod 0755 "$APP_DIR"
trap - EXIT
# The previous release is kept for inspection, without its registry logins (a rotated or
# removed token must not linger).
rm -rf "${APP_DIR}.previous/docker"

# Host timers (backups, their weekly verification): install this release's units, drop
# units a previous release had and this one does not.
shopt -s nullglob
for unit in /etc/systemd/system/multicloud-*.service /etc/systemd/system/multicloud-*.timer; do
  if [ ! -e "$APP_DIR/systemd/$(basename "$unit")" ]; then
    systemctl disable --now "$(basename "$unit")" >/dev/null 2>&1 || true
    rm -f "$unit"
  fi
done
units=("$APP_DIR"/systemd/*)
if [ "${#units[@]}" -gt 0 ]; then
  install -m 0644 "${units[@]}" /etc/systemd/system/
fi
shopt -u nullglob
systemctl daemon-reload

cd "$APP_DIR"
# Logins for private images (0600, root), for every docker call below and in bin/.
unset DOCKER_CONFIG
if [ -f "$APP_DIR/docker/config.json" ]; then
  export DOCKER_CONFIG="$APP_DIR/docker"
fi
fail() {
  echo "release failed: $1" >&2
  docker compose -p "$COMPOSE_PROJECT" -f compose.yaml ps >&2 || true
  # Application logs are not printed here: they may hold secrets and would land in CI logs.
  echo "inspect with: ssh deploy@<host> sudo docker compose -p $COMPOSE_PROJECT logs" >&2
  exit 1
}

# A service that became a scheduled job keeps no long-running container beside its timer:
# compose counts a service of an inactive profile as no orphan, so remove it here (one-off
# runs, which the timer starts, are left alone).
while read -r job; do
  [ -n "$job" ] || continue
  docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" \
    --filter "label=com.docker.compose.service=$job" --filter "label=com.docker.compose.oneoff=False" \
    | xargs -r docker rm -f >/dev/null
done < scheduled.txt

# Services with a health path are rolled out one by one, health-gated (bin/rollout.sh):
# the new containers start beside the old ones and the old ones go only when the new ones
# answer. Everything else (data services, Caddy, workers; not the jobs, which ran before the
# swap, nor the scheduled jobs, which their timers run) is started first, as compose does.
mapfile -t not_started_here < <(awk 'NF {print $1}' rollout.txt jobs.txt scheduled.txt)
mapfile -t others < <(docker compose -p "$COMPOSE_PROJECT" -f compose.yaml config --services \
  | grep -vxF -f <(printf '%s\n' "${not_started_here[@]}" | sed '/^$/d') || true)
if [ "${#others[@]}" -gt 0 ]; then  # an empty list would mean "every service"
  docker compose -p "$COMPOSE_PROJECT" -f compose.yaml up -d --remove-orphans --wait \
    --wait-timeout "$WAIT_SECONDS" "${others[@]}" || fail "containers did not become healthy within ${WAIT_SECONDS}s"
fi
while read -r svc port path; do
  [ -n "$svc" ] || continue
  COMPOSE_PROJECT="$COMPOSE_PROJECT" bash bin/rollout.sh "$svc" "$port" "$path" "$WAIT_SECONDS" </dev/null \
    || fail "$svc was not replaced; the previous version keeps serving"
done < rollout.txt
for timer in "$APP_DIR"/systemd/*.timer; do
  [ -e "$timer" ] || continue
  systemctl enable --now "$(basename "$timer")" >/dev/null
done
docker image prune -f >/dev/null 2>&1 || true
echo "release applied"
