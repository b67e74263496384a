#!/usr/bin/env bash
# Restore a Postgres service from its restic repository.
#
# Usage: restore-postgres.sh SERVICE [SNAPSHOT]
# SNAPSHOT is a snapshot ID (or a unique prefix) of this service, or `latest` (default).
# Settings as for backup-postgres.sh (${BACKUP_ENV:-/srv/app/backup/SERVICE.env}).
# The dump replaces the objects it contains (pg_restore --clean --if-exists) in one
# transaction: a restore that fails part-way changes nothing. Objects that are not in the
# dump are left alone. Stop the applications writing to the database first.
set -euo pipefail
umask 077

service=${1:?usage: restore-postgres.sh SERVICE [SNAPSHOT]}
wanted=${2:-latest}
# shellcheck source=/dev/null
. "$(dirname "$0")/backup-settings.sh"
load_backup_settings "$service"
: "${PGUSER:?is not set in the backup settings}"
: "${PGDATABASE:?is not set in the backup settings}"
: "${PGPASSWORD_FILE:?is not set in the backup settings}"
container=${CONTAINER:-$service}
data_dir=${DATA_DIR:-/srv/data}

state_dir="$data_dir/$service/backup"
mkdir -p "$state_dir"
chmod 0755 "$state_dir"
exec 9>"$state_dir/.lock"
flock -w "${LOCK_WAIT_SECONDS:-3600}" 9 || { echo "another backup job of $service is still running" >&2; exit 1; }

# Resolve the snapshot once, so what is announced is exactly what is restored.
listing=$(restic snapshots --json --tag "$service" "$wanted")
ids=$(printf '%s' "$listing" | grep -o '"id":"[0-9a-f]\{64\}"' | cut -d'"' -f4 || true)
if [ -z "$ids" ]; then
  echo "no snapshot '$wanted' of $service in the repository" >&2
  exit 1
fi
if [ "$(printf '%s\n' "$ids" | wc -l)" -ne 1 ]; then
  echo "'$wanted' matches more than one snapshot of $service" >&2
  exit 1
fi
# restic ignores the tag filter for explicit IDs; refuse another service's snapshot.
tags=$(printf '%s' "$listing" | grep -o '"tags":\[[^]]*\]' || true)
case "$tags" in
  *"\"$service\""*) ;;
  *) echo "snapshot '$wanted' is not a backup of $service" >&2; exit 1 ;;
esac
id=$ids
taken=$(printf '%s' "$listing" | grep -o '"time":"[^"]*"' | head -n 1 | cut -d'"' -f4)

echo "restoring $service from snapshot $id taken at $taken"
# shellcheck disable=SC2016 # expanded by the container's shell, not this one
restic dump --tag "$service" "$id" "/$service.dump" \
  | docker exec -i "$container" sh -c \
    'PGPASSWORD="$(cat "$0")" pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction -U "$1" -d "$2"' \
    "$PGPASSWORD_FILE" "$PGUSER" "$PGDATABASE"
echo "restored $service from snapshot $id taken at $taken"
