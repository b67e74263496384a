#!/usr/bin/env bash
# Verify a Postgres service's backups: the repository's integrity, then the latest dump.
#
# Usage: verify-backup.sh SERVICE
# Settings as for backup-postgres.sh (${BACKUP_ENV:-/srv/app/backup/SERVICE.env}), plus an
# optional CHECK_READ_DATA_SUBSET (for example `10%`) to have `restic check` also download
# and verify that share of the stored data. The latest dump is downloaded and read by
# pg_restore inside the container twice: its table of contents (--list), then every data
# block (restored to /dev/null), which a truncated or corrupt archive fails. Nothing is
# written to the database. On success the time is recorded in
# $DATA_DIR/SERVICE/backup/last-verified.
set -euo pipefail
umask 077

service=${1:?usage: verify-backup.sh SERVICE}
# shellcheck source=/dev/null
. "$(dirname "$0")/backup-settings.sh"
load_backup_settings "$service"
container=${CONTAINER:-$service}
data_dir=${DATA_DIR:-/srv/data}

state_dir="$data_dir/$service/backup"
mkdir -p "$state_dir"
chmod 0755 "$state_dir"
exec 9>"$state_dir/.lock"
flock -w "${LOCK_WAIT_SECONDS:-3600}" 9 || { echo "another backup job of $service is still running" >&2; exit 1; }

if [ -n "${CHECK_READ_DATA_SUBSET:-}" ]; then
  restic check --quiet --read-data-subset "$CHECK_READ_DATA_SUBSET"
else
  restic check --quiet
fi

listing=$(restic snapshots --json --tag "$service" --host multicloud latest)
id=$(printf '%s' "$listing" | grep -o '"id":"[0-9a-f]\{64\}"' | head -n 1 | cut -d'"' -f4 || true)
if [ -z "$id" ]; then
  echo "no snapshot of $service to verify" >&2
  exit 1
fi
taken=$(printf '%s' "$listing" | grep -o '"time":"[^"]*"' | head -n 1 | cut -d'"' -f4)

# pg_restore --list stops after the table of contents; the rest is drained so restic's
# write end never breaks.
toc=$(
  restic dump "$id" "/$service.dump" \
    | docker exec -i "$container" sh -c 'pg_restore --list && cat >/dev/null'
)
tables=$(printf '%s\n' "$toc" | grep -c ' TABLE DATA ' || true)
restic dump "$id" "/$service.dump" \
  | docker exec -i "$container" sh -c 'pg_restore -f /dev/null'

tmp=$(mktemp "$state_dir/.last-verified.XXXXXX")
date +%s >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$state_dir/last-verified"
echo "verified $service snapshot $id taken at $taken: $tables tables"
