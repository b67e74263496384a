#!/usr/bin/env bash
# Report the age of a Postgres service's last backup and last verification as one JSON line.
#
# Usage: backup-status.sh SERVICE [MAX_AGE_HOURS=26] [MAX_VERIFY_AGE_HOURS=192]
# Reads only $DATA_DIR/SERVICE/backup/last-success and last-verified (unix times written by
# backup-postgres.sh and verify-backup.sh; DATA_DIR defaults to /srv/data), so it needs no
# secret and may run as any user. Exits 1 when either is missing, unreadable or too old.
set -euo pipefail

service=${1:?usage: backup-status.sh SERVICE [MAX_AGE_HOURS] [MAX_VERIFY_AGE_HOURS]}
max_age=${2:-26}
max_verify_age=${3:-192}
state_dir="${DATA_DIR:-/srv/data}/$service/backup"
for limit in "$max_age" "$max_verify_age"; do
  case "$limit" in
    '' | *[!0-9]*) echo "the age limits are whole numbers of hours" >&2; exit 2 ;;
  esac
done
case "$service" in
  *[!A-Za-z0-9_.-]*) echo "invalid service name" >&2; exit 2 ;;
esac

now=$(date +%s)

# The unix time in a state file, or nothing when it is missing or not a unix time.
stamp() {
  local value=""
  if [ -r "$1" ]; then
    value=$(head -c 32 "$1" | tr -d '[:space:]')
  fi
  case "$value" in
    '' | *[!0-9]*) value="" ;;
    ?????????????*) value="" ;; # more digits than any unix time of this era
    *) value=$((10#$value)) ;;
  esac
  printf '%s' "$value"
}

# Hours since a unix time, one decimal; "null" for none.
age_hours() {
  if [ -z "$1" ]; then
    printf 'null'
  else
    awk -v now="$now" -v then="$1" 'BEGIN { printf "%.1f", (now - then) / 3600 }'
  fi
}

last_success=$(stamp "$state_dir/last-success")
last_verified=$(stamp "$state_dir/last-verified")

ok=true
if [ -z "$last_success" ] || [ $((now - last_success)) -gt $((max_age * 3600)) ]; then
  ok=false
fi
if [ -z "$last_verified" ] || [ $((now - last_verified)) -gt $((max_verify_age * 3600)) ]; then
  ok=false
fi

printf '{"service": "%s", "last_success": %s, "last_verified": %s, "backup_age_hours": %s, "verify_age_hours": %s, "ok": %s}\n' \
  "$service" "${last_success:-null}" "${last_verified:-null}" \
  "$(age_hours "$last_success")" "$(age_hours "$last_verified")" "$ok"
[ "$ok" = true ]
