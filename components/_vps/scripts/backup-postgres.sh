#!/usr/bin/env bash
# Back up one Postgres service to its restic repository (S3-compatible bucket), then apply
# the retention policy and record the time of success.
#
# Usage: backup-postgres.sh SERVICE
# Settings come from ${BACKUP_ENV:-/srv/app/backup/SERVICE.env}, a root-only KEY=VALUE file:
#   RESTIC_REPOSITORY, RESTIC_PASSWORD (or RESTIC_PASSWORD_FILE), AWS_ACCESS_KEY_ID,
#   AWS_SECRET_ACCESS_KEY, optional AWS_DEFAULT_REGION, PGUSER, PGDATABASE, PGPASSWORD_FILE
#   (a path inside the container), optional CONTAINER (default SERVICE), KEEP_DAILY (7),
#   KEEP_WEEKLY (4), KEEP_MONTHLY (6), DATA_DIR (/srv/data).
# pg_dump runs inside the container and reads the password from its file there; restic
# reads its secrets from the environment. No secret is ever on a command line or printed.
# The dump is streamed (custom format, compressed) into restic, which encrypts it on this
# host: the bucket only ever holds ciphertext.
set -euo pipefail
umask 077

service=${1:?usage: backup-postgres.sh SERVICE}
# shellcheck source=/dev/null
. "$(dirname "$0")/backup-settings.sh"
load_backup_settings "$service"
: "${AWS_ACCESS_KEY_ID:?is not set in the backup settings}"
: "${AWS_SECRET_ACCESS_KEY:?is not set in the backup settings}"
: "${PGUSER:?is not set in the backup settings}"
: "${PGDATABASE:?is not set in the backup settings}"
: "${PGPASSWORD_FILE:?is not set in the backup settings}"
if [ -z "${RESTIC_PASSWORD:-}" ] && [ -z "${RESTIC_PASSWORD_FILE:-}" ]; then
  echo "RESTIC_PASSWORD is not set in the backup settings" >&2
  exit 1
fi
container=${CONTAINER:-$service}
keep_daily=${KEEP_DAILY:-7}
keep_weekly=${KEEP_WEEKLY:-4}
keep_monthly=${KEEP_MONTHLY:-6}
data_dir=${DATA_DIR:-/srv/data}
for keep in "$keep_daily" "$keep_weekly" "$keep_monthly"; do
  case "$keep" in
    '' | *[!0-9]*) echo "KEEP_DAILY, KEEP_WEEKLY and KEEP_MONTHLY must be whole numbers" >&2; exit 1 ;;
  esac
done

state_dir="$data_dir/$service/backup"
mkdir -p "$state_dir"
chmod 0755 "$state_dir"

# One backup, restore or verification of a service at a time.
exec 9>"$state_dir/.lock"
flock -w "${LOCK_WAIT_SECONDS:-3600}" 9 || { echo "another backup job of $service is still running" >&2; exit 1; }

if ! restic cat config >/dev/null 2>&1; then
  echo "initialising the restic repository for $service"
  restic init >/dev/null
fi

# restic saves whatever arrived on stdin even when the producer failed, so a failed dump
# still becomes a (truncated) snapshot; pipefail reports the failure and the snapshot is
# removed again below, before retention could count it.
set +e
# shellcheck disable=SC2016 # expanded by the container's shell, not this one
summary=$(
  docker exec -i "$container" sh -c 'PGPASSWORD="$(cat "$0")" pg_dump -Fc -U "$1" "$2"' \
    "$PGPASSWORD_FILE" "$PGUSER" "$PGDATABASE" \
    | restic backup --stdin --stdin-filename "$service.dump" --tag "$service" --host multicloud --json --quiet
)
status=$?
set -e
snapshot=$(printf '%s\n' "$summary" | sed -n 's/.*"snapshot_id":"\([0-9a-f]*\)".*/\1/p' | tail -n 1)

if [ "$status" -ne 0 ]; then
  echo "backup of $service failed (exit $status): pg_dump or restic did not finish" >&2
  if [ -n "$snapshot" ]; then
    restic forget "$snapshot" >/dev/null || echo "could not remove the incomplete snapshot $snapshot" >&2
    echo "removed the incomplete snapshot $snapshot" >&2
  fi
  exit 1
fi
if [ -z "$snapshot" ]; then
  echo "restic reported no snapshot for $service" >&2
  exit 1
fi
echo "backed up $service as snapshot $snapshot"

restic forget --tag "$service" --host multicloud \
  --keep-daily "$keep_daily" --keep-weekly "$keep_weekly" --keep-monthly "$keep_monthly" \
  --prune --quiet

tmp=$(mktemp "$state_dir/.last-success.XXXXXX")
date +%s >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$state_dir/last-success"
